package io.trellis.mqtt.auth;

import io.trellis.security.authn.ConnectInfo;
import io.trellis.security.authn.PeerCertAs;
import io.trellis.security.authz.AuthzAction;
import io.trellis.security.authz.AuthzCache;
import io.trellis.security.authz.AuthzClient;
import io.trellis.security.authz.Authorizer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the MQTT connection asks before it lets a client in or acts for it. Implementations are
 * thread-safe. {@link #authenticate} may complete on any thread: the connection continues on its
 * own event loop. The connection asks authorization through {@link #authorizeAsync} on its event
 * loop: an answer that is already there (file rules, JWT ACLs, the built-in database, a cache hit)
 * is used at once; one that needs I/O (an HTTP source) completes later, while the connection holds
 * that client's later packets back so they keep their order. {@link #authorize} is the blocking
 * form for callers off the event loops.
 */
public interface AccessControl {

    /** Everyone may connect (not as superuser), publish and subscribe: the broker's default. */
    AccessControl ALLOW_ALL = new AccessControl() {
        @Override
        public CompletionStage<ConnectDecision> authenticate(ConnectInfo connect) {
            return CompletableFuture.completedFuture(ConnectDecision.allowed(false));
        }

        @Override
        public boolean authorize(AuthzClient client, AuthzAction action, String topic, AuthzCache cache) {
            return true;
        }

        @Override
        public CompletableFuture<Boolean> authorizeAsync(AuthzClient client, AuthzAction action, String topic,
                                                         AuthzCache cache) {
            return ALLOWED;
        }
    };

    /** A completed "allowed", shared so the synchronous path allocates no future. Never complete or obtrude it. */
    CompletableFuture<Boolean> ALLOWED = CompletableFuture.completedFuture(Boolean.TRUE);
    /** A completed "denied", shared like {@link #ALLOWED}. */
    CompletableFuture<Boolean> DENIED = CompletableFuture.completedFuture(Boolean.FALSE);

    /** Decides a CONNECT (ban list, then the authentication chain). Never completes exceptionally on purpose; an exception is a refusal. */
    CompletionStage<ConnectDecision> authenticate(ConnectInfo connect);

    /** True when {@code client} may do {@code action} on {@code topic}; {@code cache} may be null. Blocks while a source does I/O. */
    boolean authorize(AuthzClient client, AuthzAction action, String topic, AuthzCache cache);

    /**
     * As {@link #authorize}, without blocking: a future that is already done when every source asked
     * answered at once (then it is {@link #ALLOWED} or {@link #DENIED}), else one that completes on
     * another thread. Never completes exceptionally on purpose; the caller treats an exception as a denial.
     * The default asks {@link #authorize}, for implementations whose answers are always immediate.
     */
    default CompletableFuture<Boolean> authorizeAsync(AuthzClient client, AuthzAction action, String topic,
                                                      AuthzCache cache) {
        return authorize(client, action, topic, cache) ? ALLOWED : DENIED;
    }

    /** What to do with a refused PUBLISH or SUBSCRIBE (authorization.deny_action). */
    default Authorizer.DenyAction denyAction() {
        return Authorizer.DenyAction.IGNORE;
    }

    /** A fresh per-connection cache of authorization answers, or null when caching is off. */
    default AuthzCache newCache() {
        return null;
    }

    /** mqtt.peer_cert_as_username. */
    default PeerCertAs peerCertAsUsername() {
        return PeerCertAs.DISABLED;
    }

    /** mqtt.peer_cert_as_clientid. */
    default PeerCertAs peerCertAsClientId() {
        return PeerCertAs.DISABLED;
    }
}
