package io.trellis.server.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.security.authn.HashedPassword;
import io.trellis.security.authn.ImportResult;
import io.trellis.security.authn.UserInfo;
import io.trellis.security.authn.UserRecord;
import io.trellis.server.api.ApiException;
import java.io.IOException;
import java.util.List;

/**
 * The built-in database's users as changes of the cluster config log (kind {@value #KIND}).
 *
 * <p>A change carries hashes, never a password: the node that receives the API call hashes the
 * password with its own {@code password_hash_algorithm} and logs {@code password_hash} and
 * {@code salt}; every node stores them as they are. So every node must use the same algorithm
 * (it comes from the same cluster-wide config in practice); a node configured differently keeps the
 * user but cannot check its password. With the {@code plain} algorithm the "hash" is the password
 * itself, in the log as in the user file: don't use plain.
 *
 * <p>Every node applies the same change to the same state, so the result (a 404, a 409) is the
 * same everywhere; re-applying an add after a crash between the file and the log's applied mark
 * finds the identical user and succeeds.
 */
public final class UserChanges {
    public static final String KIND = "users";

    /**
     * One change: {@code op} add | update | delete | import. For update, a null hash keeps the
     * password and a null {@code is_superuser} keeps the flag; import carries {@code users}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record UserChange(String op, String user_id, String password_hash, String salt, Boolean is_superuser,
                             List<UserChange> users) {
        /** Never the hash or the salt. */
        @Override
        public String toString() {
            return "UserChange[" + op + (user_id == null ? "" : " " + user_id)
                    + (users == null ? "" : ", " + users.size() + " users") + "]";
        }
    }

    static UserChange add(UserRecord u) {
        return new UserChange("add", u.userId(), u.password().passwordHash(), u.password().salt(), u.superuser(), null);
    }

    static UserChange update(String userId, HashedPassword password, Boolean superuser) {
        return new UserChange("update", userId, password == null ? null : password.passwordHash(),
                password == null ? null : password.salt(), superuser, null);
    }

    static UserChange delete(String userId) {
        return new UserChange("delete", userId, null, null, null, null);
    }

    static UserChange importing(List<UserRecord> users) {
        return new UserChange("import", null, null, null, null, users.stream().map(UserChanges::add).toList());
    }

    private final NodeAuth auth;

    UserChanges(NodeAuth auth) {
        this.auth = auth;
    }

    /** On every node, in log order: the change on the built-in database, persisted. */
    Object apply(UserChange c) throws IOException {
        String op = c.op() == null ? "" : c.op();
        return auth.changeUsers(db -> switch (op) {
            case "add" -> {
                ImportResult r = db.importUsers(List.of(record(c)), false);
                if (r.failed() > 0) {
                    throw new ApiException(HttpResponseStatus.CONFLICT, "ALREADY_EXISTS",
                            "user '" + c.user_id() + "' already exists; update it instead");
                }
                yield new UserInfo(c.user_id(), Boolean.TRUE.equals(c.is_superuser()));
            }
            case "update" -> {
                if (db.lookupUser(c.user_id()).isEmpty()) throw noUser(c.user_id());
                HashedPassword hash = c.password_hash() == null ? null : new HashedPassword(c.password_hash(), c.salt());
                yield db.updateHashed(c.user_id(), hash, c.is_superuser());
            }
            case "delete" -> {
                if (!db.deleteUser(c.user_id())) throw noUser(c.user_id());
                yield Boolean.TRUE;
            }
            case "import" -> db.importUsers(c.users() == null ? List.of() : c.users().stream().map(UserChanges::record).toList(), true);
            default -> throw new IllegalArgumentException("unknown users change '" + op + "' (made by a newer version?)");
        });
    }

    private static UserRecord record(UserChange c) {
        if (c.password_hash() == null) {
            throw new IllegalArgumentException("users change for '" + c.user_id() + "' has no password_hash");
        }
        return new UserRecord(c.user_id(), new HashedPassword(c.password_hash(), c.salt()), Boolean.TRUE.equals(c.is_superuser()));
    }

    static ApiException noUser(String id) {
        return ApiException.notFound("NOT_FOUND", "user '" + id + "' does not exist");
    }
}
