package io.trellis.server.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.trellis.mqtt.auth.BanList;
import io.trellis.server.api.ApiException;
import java.io.IOException;

/**
 * Manual bans as changes of the cluster config log (kind {@value #KIND}), as EMQX's banned table
 * is cluster-wide: a ban made on any node refuses the client on every node, and is persisted on
 * each ({@link BanStore}). Expiry needs no change in the log: every node drops a ban whose
 * {@code until} has passed (a ban caught up after it expired is not added at all).
 *
 * <p>Automatic bans (failed logins) are not logged: they stay on the node that counted the
 * failures, in memory (see {@link BanList}). Lifting a ban through the log lifts the automatic ban
 * of the same client on every node too.
 */
public final class BanChanges {
    public static final String KIND = "banned";

    /** One change: {@code op} add | delete; times are epoch milliseconds, until Long.MAX_VALUE for never. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BanChange(String op, String as, String who, String by, String reason, Long at, Long until) {
    }

    static BanChange add(BanList.Ban b) {
        return new BanChange("add", b.as().id(), b.who(), b.by(), b.reason(), b.at(), b.until());
    }

    static BanChange delete(BanList.As as, String who) {
        return new BanChange("delete", as.id(), who, null, null, null, null);
    }

    private final NodeAuth auth;

    BanChanges(NodeAuth auth) {
        this.auth = auth;
    }

    /** On every node, in log order: the change on the ban list, persisted. */
    Object apply(BanChange c) throws IOException {
        BanList bans = auth.bans();
        BanList.As as = BanList.As.fromName(c.as());
        switch (c.op() == null ? "" : c.op()) {
            case "add" -> {
                BanList.Ban ban = new BanList.Ban(as, c.who(), c.by(), c.reason(), c.at() == null ? bans.now() : c.at(),
                        c.until() == null ? Long.MAX_VALUE : c.until());
                if (ban.until() > bans.now()) {
                    bans.add(ban);
                    auth.saveBans();
                }
                return ban;
            }
            case "delete" -> {
                if (!bans.delete(as, c.who())) {
                    throw ApiException.notFound("NOT_FOUND", "no ban for " + as.id() + " " + c.who());
                }
                auth.saveBans();
                return Boolean.TRUE;
            }
            default -> throw new IllegalArgumentException("unknown banned change '" + c.op() + "' (made by a newer version?)");
        }
    }
}
