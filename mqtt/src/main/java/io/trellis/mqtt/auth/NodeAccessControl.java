package io.trellis.mqtt.auth;

import io.trellis.mqtt.broker.BrokerMetrics;
import io.trellis.security.authn.AuthnResult;
import io.trellis.security.authn.Authenticator;
import io.trellis.security.authn.ConnectInfo;
import io.trellis.security.authn.HttpAuthenticator;
import io.trellis.security.authn.JwtAuthenticator;
import io.trellis.security.authn.PeerCertAs;
import io.trellis.security.authz.AuthzAction;
import io.trellis.security.authz.AuthzCache;
import io.trellis.security.authz.AuthzClient;
import io.trellis.security.authz.AuthzResult;
import io.trellis.security.authz.Authorizer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's access control, built by the server from {@code authentication},
 * {@code authentication_settings}, {@code authorization} and {@code mqtt.peer_cert_as_*}.
 *
 * <p>CONNECT: the ban list first (on the event loop, cheap), then the authenticators in order with
 * EMQX's semantics (ignore asks the next; the first allow or deny is final; all ignoring, or
 * anonymous with an authenticator configured, is "not authorized"; none configured allows anonymous
 * clients unless {@code allow_anonymous = false}). The chain runs on {@code authnExecutor}, never on
 * an event loop: bcrypt/pbkdf2 cost milliseconds and an HTTP backend may wait on the network.
 * Each refusal counts towards the automatic ban of the {@link BanList}.
 *
 * <p>Authorization: {@link Authorizer} with the per-connection cache, asked on the event loop through
 * {@link #authorizeAsync}: the file, JWT and built-in database sources answer at once, the HTTP source
 * answers later without holding the loop; its answer is cached like the others.
 */
public final class NodeAccessControl implements AccessControl {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAccessControl.class);

    /** The configuration, already validated by the server. */
    public record Settings(boolean allowAnonymous, int cacheMaxSize, Duration cacheTtl, boolean cacheEnabled,
                           PeerCertAs peerCertAsUsername, PeerCertAs peerCertAsClientId) {
        public static Settings defaults() {
            return new Settings(true, AuthzCache.DEFAULT_MAX_SIZE, AuthzCache.DEFAULT_TTL, true,
                    PeerCertAs.DISABLED, PeerCertAs.DISABLED);
        }
    }

    private final List<Authenticator> authenticators;
    private final Authorizer authorizer;
    private final BanList bans;
    private final Settings settings;
    private final Executor authnExecutor;
    private final BrokerMetrics metrics;
    private final Set<String> listenersWithoutAuthn;
    private volatile Consumer<String> nonJwtLogin = clientId -> { };

    /**
     * @param authorizer    null = every request allowed (no authorization configured)
     * @param authnExecutor where the chain runs; must not be an event loop
     */
    public NodeAccessControl(List<? extends Authenticator> authenticators, Authorizer authorizer, BanList bans,
                             Settings settings, Executor authnExecutor, BrokerMetrics metrics) {
        this(authenticators, authorizer, bans, settings, authnExecutor, metrics, Set.of());
    }

    /** @param listenersWithoutAuthn ids ("tcp:internal") of listeners with enable_authn = false */
    public NodeAccessControl(List<? extends Authenticator> authenticators, Authorizer authorizer, BanList bans,
                             Settings settings, Executor authnExecutor, BrokerMetrics metrics,
                             Set<String> listenersWithoutAuthn) {
        this.listenersWithoutAuthn = Set.copyOf(listenersWithoutAuthn);
        this.authenticators = List.copyOf(authenticators);
        this.authorizer = authorizer;
        this.bans = Objects.requireNonNull(bans, "bans");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.authnExecutor = Objects.requireNonNull(authnExecutor, "authnExecutor");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    public BanList bans() {
        return bans;
    }

    public List<Authenticator> authenticators() {
        return authenticators;
    }

    @Override
    public CompletionStage<ConnectDecision> authenticate(ConnectInfo connect) {
        String host = connect.peerAddress() == null ? null : connect.peerAddress().getHostAddress();
        Optional<BanList.Ban> ban = bans.find(connect.clientId(), connect.username(), host);
        if (ban.isPresent()) {
            metrics.clientBanned.increment();
            return CompletableFuture.completedFuture(ConnectDecision.refused(ConnectDecision.Outcome.BANNED,
                    "banned by " + ban.get().as().id()));
        }
        if (listenersWithoutAuthn.contains(connect.listenerId())) { // enable_authn = false
            return CompletableFuture.completedFuture(settle(connect, host, ConnectDecision.allowed(false)));
        }
        if (authenticators.isEmpty()) {
            return CompletableFuture.completedFuture(settle(connect, host, settings.allowAnonymous()
                    ? ConnectDecision.allowed(false)
                    : ConnectDecision.refused(ConnectDecision.Outcome.NOT_AUTHORIZED,
                            "anonymous access is off (authentication_settings.allow_anonymous = false)")));
        }
        return runFrom(connect, 0).thenApply(d -> settle(connect, host, d));
    }

    /**
     * Asks authenticator {@code i}, then the next while they ignore. An authenticator with an
     * asynchronous form (HTTP) is asked without holding a thread; the others run on the authn
     * executor.
     */
    private CompletableFuture<ConnectDecision> runFrom(ConnectInfo connect, int i) {
        if (i == authenticators.size()) {
            return CompletableFuture.completedFuture(ConnectDecision.refused(ConnectDecision.Outcome.NOT_AUTHORIZED,
                    "no authenticator accepted the client (all " + authenticators.size() + " ignored it)"));
        }
        Authenticator a = authenticators.get(i);
        CompletableFuture<AuthnResult> answer;
        try {
            answer = a instanceof HttpAuthenticator http ? http.authenticateAsync(connect)
                    : CompletableFuture.supplyAsync(() -> a.authenticate(connect), authnExecutor);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((r, error) -> {
            if (error != null) {
                // Fail closed; only the type: a message could carry a credential.
                Throwable cause = error.getCause() != null ? error.getCause() : error;
                return CompletableFuture.completedFuture(ConnectDecision.refused(ConnectDecision.Outcome.NOT_AUTHORIZED,
                        a.id() + " failed (" + cause.getClass().getSimpleName() + ")"));
            }
            if (r instanceof AuthnResult.Allow allow) {
                if (!(a instanceof JwtAuthenticator)) nonJwtLogin.accept(connect.clientId());
                return CompletableFuture.completedFuture(ConnectDecision.allowed(allow.superuser()));
            }
            if (r instanceof AuthnResult.Deny deny) {
                return CompletableFuture.completedFuture(ConnectDecision.refused(ConnectDecision.Outcome.BAD_CREDENTIALS,
                        a.id() + ": " + deny.reason()));
            }
            if (r == null) {
                return CompletableFuture.completedFuture(ConnectDecision.refused(ConnectDecision.Outcome.NOT_AUTHORIZED,
                        a.id() + " returned no result"));
            }
            return runFrom(connect, i + 1);
        }).thenCompose(f -> f);
    }

    /**
     * Called with the client id when a client logs in by anything but a JWT, so that a JWT's ACL
     * claims recorded for an earlier login of that client id stop applying (JwtAclStore.forget).
     */
    public void onNonJwtLogin(Consumer<String> forget) {
        this.nonJwtLogin = Objects.requireNonNull(forget, "forget");
    }

    private ConnectDecision settle(ConnectInfo connect, String host, ConnectDecision d) {
        if (d.isAllowed() && (authenticators.isEmpty() || listenersWithoutAuthn.contains(connect.listenerId()))) {
            nonJwtLogin.accept(connect.clientId());
        }
        if (d.isAllowed()) {
            if (authenticators.isEmpty()) metrics.clientAuthAnonymous.increment();
            metrics.clientAuthSuccess.increment();
        } else {
            metrics.clientAuthFailure.increment();
            bans.recordFailure(connect.clientId(), host);
            LOG.info("client {} from {} (username {}) refused: {}", connect.clientId(), host, connect.username(),
                    d.reason());
        }
        return d;
    }

    @Override
    public boolean authorize(AuthzClient client, AuthzAction action, String topic, AuthzCache cache) {
        boolean allowed = authorizer == null
                || (cache == null ? authorizer.authorize(client, action, topic)
                        : authorizer.authorize(client, action, topic, cache)) == AuthzResult.ALLOW;
        (allowed ? metrics.clientAuthorizationAllow : metrics.clientAuthorizationDeny).increment();
        return allowed;
    }

    @Override
    public CompletableFuture<Boolean> authorizeAsync(AuthzClient client, AuthzAction action, String topic,
                                                     AuthzCache cache) {
        if (authorizer == null) {
            metrics.clientAuthorizationAllow.increment();
            return ALLOWED;
        }
        CompletableFuture<AuthzResult> answer = cache == null ? authorizer.authorizeAsync(client, action, topic)
                : authorizer.authorizeAsync(client, action, topic, cache);
        if (answer.isDone()) return count(answer.join() == AuthzResult.ALLOW) ? ALLOWED : DENIED;
        return answer.thenApply(result -> count(result == AuthzResult.ALLOW));
    }

    private boolean count(boolean allowed) {
        (allowed ? metrics.clientAuthorizationAllow : metrics.clientAuthorizationDeny).increment();
        return allowed;
    }

    @Override
    public Authorizer.DenyAction denyAction() {
        return authorizer == null ? Authorizer.DenyAction.IGNORE : authorizer.denyAction();
    }

    @Override
    public AuthzCache newCache() {
        return settings.cacheEnabled() && authorizer != null
                ? new AuthzCache(settings.cacheMaxSize(), settings.cacheTtl()) : null;
    }

    @Override
    public PeerCertAs peerCertAsUsername() {
        return settings.peerCertAsUsername();
    }

    @Override
    public PeerCertAs peerCertAsClientId() {
        return settings.peerCertAsClientId();
    }
}
