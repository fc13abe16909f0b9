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
 * own event loop. {@link #authorize} is called on the connection's event loop and must be quick.
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
    };

    /** Decides a CONNECT (ban list, then the authentication chain). Never completes exceptionally on purpose; an exception is a refusal. */
    CompletionStage<ConnectDecision> authenticate(ConnectInfo connect);

    /** True when {@code client} may do {@code action} on {@code topic}; {@code cache} may be null. */
    boolean authorize(AuthzClient client, AuthzAction action, String topic, AuthzCache cache);

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
