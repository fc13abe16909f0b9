package io.trellis.server.conf;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.cluster.conf.ConfEntry;
import io.trellis.cluster.conf.ConfLog;
import io.trellis.server.api.ApiException;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One kind of change replicated through the cluster config log: a JSON record type {@code C} and
 * how a node applies it. The adapter between an API and the log, one per kind ("users", "banned",
 * ...): the API builds a change (already stripped of anything that must not be stored, such as a
 * plain password), {@link #submit} puts it in the log and waits until this node has applied it;
 * every node runs the same {@link Apply} in tnx order, the API call answers with this node's result.
 *
 * <p>Errors: an apply that throws an {@link ApiException} (404, 409...) answers as it would have on
 * one node; a change the log cannot commit (no majority, no sequencer) answers 503
 * {@code CLUSTER_CONF_UNAVAILABLE} with the log's reason. The applier's exception messages are
 * logged by the log on every node, so they must never hold a secret.
 *
 * <p>{@link #local} applies on the calling thread without a log (a component used on its own).
 */
public final class ReplicatedKind<C> {
    /** How long an API call waits for its change to be committed and applied on this node. */
    static final long CHANGE_TIMEOUT_SECONDS = 30;
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Applies one change to this node's state and persists it; runs on the log's thread. */
    @FunctionalInterface
    public interface Apply<C> {
        Object apply(C change) throws Exception;
    }

    private final String kind;
    private final Class<C> type;
    private final Apply<C> apply;
    private final ConfLog log; // null: local

    private ReplicatedKind(String kind, Class<C> type, Apply<C> apply, ConfLog log) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.type = Objects.requireNonNull(type, "type");
        this.apply = Objects.requireNonNull(apply, "apply");
        this.log = log;
    }

    /** Registers the applier of {@code kind} with {@code log}: before {@code log.start}. */
    public static <C> ReplicatedKind<C> register(ConfLog log, String kind, Class<C> type, Apply<C> apply) {
        ReplicatedKind<C> k = new ReplicatedKind<>(kind, type, apply, Objects.requireNonNull(log, "log"));
        log.register(kind, k::applyEntry);
        return k;
    }

    /** Changes applied on the caller's thread, on this node only. */
    public static <C> ReplicatedKind<C> local(String kind, Class<C> type, Apply<C> apply) {
        return new ReplicatedKind<>(kind, type, apply, null);
    }

    public String kind() {
        return kind;
    }

    /**
     * API thread: commits {@code change} and returns this node's result of applying it. Throws the
     * applier's {@link ApiException} as is, or 503 when the change is not committed.
     */
    public Object submit(C change) {
        if (log == null) {
            synchronized (this) {
                return applyOrThrow(change);
            }
        }
        byte[] payload;
        try {
            payload = JSON.writeValueAsBytes(change);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a " + kind + " change", e);
        }
        try {
            return log.submit(kind, payload).get(CHANGE_TIMEOUT_SECONDS, TimeUnit.SECONDS).result();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfLog.ChangeFailedException failed && failed.committed()
                    && failed.getCause() instanceof RuntimeException applyError) {
                throw applyError; // committed, refused by the state (404, 409...): the same answer as alone
            }
            throw unavailable(String.valueOf(cause.getMessage()));
        } catch (TimeoutException e) {
            throw unavailable("the change was not applied on this node within " + CHANGE_TIMEOUT_SECONDS
                    + "s; see ctl conf cluster_sync status");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while waiting for the cluster config log");
        }
    }

    private static ApiException unavailable(String why) {
        return new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "CLUSTER_CONF_UNAVAILABLE", why);
    }

    private Object applyEntry(ConfEntry entry) throws Exception {
        C change;
        try {
            change = JSON.readValue(entry.payload(), type);
        } catch (IOException e) {
            // never the payload or Jackson's excerpt of it: it may hold hashes
            throw new IllegalArgumentException("cannot read a " + kind + " change (made by a newer version?)");
        }
        return apply.apply(change);
    }

    private Object applyOrThrow(C change) {
        try {
            return apply.apply(change);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(kind + " change failed: " + e.getMessage(), e);
        }
    }
}
