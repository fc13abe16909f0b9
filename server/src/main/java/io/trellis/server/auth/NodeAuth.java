package io.trellis.server.auth;

import io.trellis.config.ConfigException;
import io.trellis.config.ConfigItem;
import io.trellis.config.Keys;
import io.trellis.config.TrellisConfig;
import io.trellis.mqtt.auth.BanList;
import io.trellis.mqtt.auth.NodeAccessControl;
import io.trellis.mqtt.broker.BrokerMetrics;
import io.trellis.security.authn.Authenticator;
import io.trellis.security.authn.BuiltInDatabase;
import io.trellis.security.authn.HttpAuthenticator;
import io.trellis.security.authn.HttpRequestTemplate;
import io.trellis.security.authn.JwtAuthenticator;
import io.trellis.security.authn.JwtSettings;
import io.trellis.security.http.OutboundHttpClient;
import io.trellis.security.authz.HttpAuthzSource;
import io.trellis.security.authz.JwtAclStore;
import io.trellis.security.ssrf.SsrfPolicy;
import java.time.Clock;
import java.util.Map;
import io.trellis.security.authn.PasswordHashing;
import io.trellis.security.authn.PeerCertAs;
import io.trellis.security.authn.UserIdType;
import io.trellis.security.authn.UserImportException;
import io.trellis.security.authz.AclFile;
import io.trellis.security.authz.AclParseException;
import io.trellis.security.authz.AuthzSource;
import io.trellis.security.authz.Authorizer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.io.UncheckedIOException;
import org.slf4j.LoggerFactory;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's authentication and authorization, built from the configuration at start:
 * {@code authentication} (the chain), {@code authentication_settings}, {@code authorization} and
 * {@code mqtt.peer_cert_as_*}. An element this build cannot serve (unknown kind, an unreadable ACL
 * file, a URL the SSRF policy refuses, a second source of one type) is a config error naming its index.
 * Authorization sources: {@code file}, {@code built_in_database} (rules in {@link AuthzRulesStore},
 * changed through {@link AuthzApi}) and {@code http} (asked asynchronously by the connections).
 *
 * <p>The built-in database's users persist under node.data_dir ({@link UserStore}), the manual
 * bans too ({@link BanStore}); the API and {@code trellis ctl} change both through the cluster
 * config log ({@link UserChanges}, {@link BanChanges}), whose appliers call {@link #changeUsers}
 * and {@link #saveBans()}; so do the authorization rules ({@link AuthzRuleChanges},
 * {@link #changeAuthzRules}). Expired bans are dropped from memory and from the file by a sweep.
 */
public final class NodeAuth implements AutoCloseable {

    private final List<Authenticator> authenticators;
    private final BuiltInDatabase users; // null when the chain has no built-in database
    private final UserStore store;
    private final Authorizer authorizer; // null when authorization is off
    private final BanList bans;
    private final BanStore banStore;
    private ScheduledExecutorService banExpiry;
    private final NodeAccessControl.Settings settings;
    private final Set<String> listenersWithoutAuthn;
    private final ExecutorService authnExecutor;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private JwtAclStore jwtAcls;
    private AuthzRulesStore authzRules; // null when no built_in_database source is configured
    private boolean authzRulesEnabled;
    private final Path dataDir;
    private AuthzRulesStore unconfiguredAuthzRules; // the rules file of a node without the source, opened on first change

    private NodeAuth(List<Authenticator> authenticators, BuiltInDatabase users, UserStore store, Authorizer authorizer,
                     BanList bans, BanStore banStore, NodeAccessControl.Settings settings, Set<String> listenersWithoutAuthn,
                     Path dataDir) {
        this.dataDir = dataDir;
        this.authenticators = authenticators;
        this.users = users;
        this.store = store;
        this.authorizer = authorizer;
        this.bans = bans;
        this.banStore = banStore;
        this.settings = settings;
        this.listenersWithoutAuthn = listenersWithoutAuthn;
        AtomicInteger n = new AtomicInteger();
        this.authnExecutor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "trellis-authn-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Anonymous access, no authorization, no automatic bans: a node built without a config file. */
    public static NodeAuth allowAll(Path dataDir) {
        BanStore banStore = new BanStore(dataDir);
        BanList bans = BanList.manualOnly();
        try {
            banStore.load(bans.now()).forEach(bans::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        return new NodeAuth(List.of(), null, new UserStore(dataDir), null, bans, banStore,
                NodeAccessControl.Settings.defaults(), Set.of(), dataDir);
    }

    public static NodeAuth from(TrellisConfig c, Path dataDir) throws ConfigException {
        return from(c, dataDir, SsrfPolicy::defaults);
    }

    /**
     * @param ssrf the node's live rule_engine.ssrf policy: the JWKS endpoint and the HTTP backend are
     *             outbound targets, checked against it when configured and at every connect
     */
    public static NodeAuth from(TrellisConfig c, Path dataDir, Supplier<SsrfPolicy> ssrf) throws ConfigException {
        List<String> problems = new ArrayList<>();
        UserStore store = new UserStore(dataDir);
        List<Authenticator> chain = new ArrayList<>();
        BuiltInDatabase db = null;
        JwtAclStore jwtAcls = null;
        List<AutoCloseable> closeables = new ArrayList<>();
        LazyHttpClient http = new LazyHttpClient(ssrf);
        for (ConfigItem item : c.<List<ConfigItem>>get(Keys.AUTHENTICATION)) {
            if (!item.bool("enable")) continue;
            String where = "authentication[" + item.index() + "]";
            switch (item.kind()) {
                case "password_based:built_in_database" -> {
                    if (db != null) {
                        problems.add(where + ": a second built_in_database authenticator (EMQX allows one; remove it)");
                        continue;
                    }
                    try {
                        db = new BuiltInDatabase(UserIdType.fromConfig(item.string("user_id_type")), hashing(item));
                        for (var u : store.load(db.hashing())) db.putUser(u);
                        chain.add(db);
                    } catch (UserImportException e) {
                        problems.add(where + ": cannot load the stored users: " + e.getMessage()
                                + " (fix or move away " + store.file() + ")");
                    } catch (IllegalArgumentException e) {
                        problems.add(where + "." + e.getMessage());
                    }
                }
                case "jwt" -> {
                    try {
                        JwtSettings jwt = new JwtSettings(item.bool("use_jwks"), item.string("algorithm"),
                                item.get("secret"), item.bool("secret_base64_encoded"), item.string("public_key"),
                                item.string("endpoint"), item.get("refresh_interval"), item.string("from"),
                                item.string("acl_claim_name"), item.bool("disconnect_after_expire"), item.map("verify_claims"));
                        if (jwtAcls == null) jwtAcls = new JwtAclStore();
                        JwtAuthenticator a = jwt.build(where, http.get(), jwtAcls, Clock.systemUTC());
                        closeables.add(a);
                        chain.add(a);
                    } catch (IllegalArgumentException e) {
                        problems.add(e.getMessage());
                    }
                }
                case "password_based:http" -> {
                    try {
                        Map<String, String> body = item.map("body");
                        chain.add(new HttpAuthenticator(where,
                                HttpRequestTemplate.methodFromConfig(item.string("method"), where + ".method"),
                                item.string("url"), item.map("headers"), body.isEmpty() ? null : body,
                                item.get("request_timeout"), http.forBackend(item, closeables)));
                    } catch (IllegalArgumentException e) {
                        problems.add(e.getMessage());
                    }
                }
                default -> problems.add(where + ".mechanism: " + item.kind() + " is not available in this build yet"
                        + " (use mechanism = password_based, backend = built_in_database)");
            }
        }
        List<AuthzSource> sources = new ArrayList<>();
        Set<String> kindsSeen = new HashSet<>();
        AuthzRulesStore authzRules = null;
        boolean authzRulesEnabled = false;
        for (ConfigItem item : c.<List<ConfigItem>>get(Keys.AUTHZ_SOURCES)) {
            String where = "authorization.sources[" + item.index() + "]";
            boolean enabled = item.bool("enable");
            if (!kindsSeen.add(item.kind())) {
                problems.add(where + ".type: a second " + item.kind() + " source (EMQX allows one source of each type; remove it)");
                continue;
            }
            switch (item.kind()) {
                case "file" -> {
                    if (!enabled) continue;
                    Path path = item.get("path");
                    try {
                        sources.add(AclFile.load(path));
                    } catch (AclParseException e) {
                        problems.add(where + ".path: " + e.getMessage());
                    }
                }
                case "built_in_database" -> {
                    // Opened even when disabled: the API still lists the rules and can purge them.
                    try {
                        authzRules = AuthzRulesStore.open(dataDir, item.<Integer>get("max_rules"));
                        authzRulesEnabled = enabled;
                        if (enabled) sources.add(authzRules.database());
                    } catch (IOException e) {
                        problems.add(where + ": cannot load the stored rules: " + e.getMessage() + " (fix or move away "
                                + dataDir.resolve("authz").resolve("built_in_database.json") + ")");
                    }
                }
                case "http" -> {
                    if (!enabled) continue;
                    // Asked without blocking (HttpAuthzSource is an AsyncAuthzSource); its URL obeys the
                    // node's SSRF policy here and at every connect.
                    try {
                        Map<String, String> body = item.map("body");
                        sources.add(new HttpAuthzSource(where,
                                HttpRequestTemplate.methodFromConfig(item.string("method"), where + ".method"),
                                item.string("url"), item.map("headers"), body.isEmpty() ? null : body,
                                item.get("request_timeout"), http.forBackend(item, closeables)));
                    } catch (IllegalArgumentException e) {
                        problems.add(e.getMessage());
                    }
                }
                default -> problems.add(where + ".type: " + item.kind() + " is not available in this build"
                        + " (use file, built_in_database or http)");
            }
        }
        if (!problems.isEmpty()) {
            closeAll(closeables, http);
            throw new ConfigException(problems);
        }

        boolean authzOff = c.<List<ConfigItem>>get(Keys.AUTHZ_SOURCES).isEmpty();
        if (jwtAcls != null) sources.add(0, jwtAcls); // a client's own JWT ACL first, as EMQX
        Authorizer.DenyAction denyAction = Authorizer.DenyAction.fromConfig(c.get(Keys.AUTHZ_DENY_ACTION));
        Authorizer authorizer = authzOff
                ? (jwtAcls == null ? null : new Authorizer(sources, io.trellis.security.authz.AuthzResult.ALLOW, denyAction))
                : new Authorizer(sources, Authorizer.noMatchFromConfig(c.get(Keys.AUTHZ_NO_MATCH)), denyAction);
        BanList bans = new BanList(System::currentTimeMillis, c.get(Keys.AUTHN_FAILURE_BAN_MAX_FAILURES),
                c.<Duration>get(Keys.AUTHN_FAILURE_BAN_WINDOW).toMillis(),
                c.<Duration>get(Keys.AUTHN_FAILURE_BAN_TIME).toMillis());
        BanStore banStore = new BanStore(dataDir);
        try {
            banStore.load(bans.now()).forEach(bans::add);
        } catch (IOException e) {
            closeAll(closeables, http);
            throw new ConfigException(List.of(e.getMessage()));
        }
        NodeAccessControl.Settings settings = new NodeAccessControl.Settings(c.get(Keys.AUTHN_ALLOW_ANONYMOUS),
                c.get(Keys.AUTHZ_CACHE_MAX_SIZE), c.get(Keys.AUTHZ_CACHE_TTL), c.get(Keys.AUTHZ_CACHE_ENABLE),
                PeerCertAs.fromConfig(c.get(Keys.MQTT_PEER_CERT_AS_USERNAME), "mqtt.peer_cert_as_username"),
                PeerCertAs.fromConfig(c.get(Keys.MQTT_PEER_CERT_AS_CLIENTID), "mqtt.peer_cert_as_clientid"));
        Set<String> noAuthn = new HashSet<>();
        addWithoutAuthn(c, "tcp", Keys.TCP_ENABLE_AUTHN, noAuthn);
        addWithoutAuthn(c, "ssl", Keys.SSL_ENABLE_AUTHN, noAuthn);
        addWithoutAuthn(c, "ws", Keys.WS_ENABLE_AUTHN, noAuthn);
        addWithoutAuthn(c, "wss", Keys.WSS_ENABLE_AUTHN, noAuthn);
        NodeAuth auth = new NodeAuth(List.copyOf(chain), db, store, authorizer, bans, banStore, settings, Set.copyOf(noAuthn),
                dataDir);
        auth.jwtAcls = jwtAcls;
        auth.authzRules = authzRules;
        auth.authzRulesEnabled = authzRulesEnabled;
        auth.closeables.addAll(closeables);
        if (http.client != null) auth.closeables.add(http.client);
        return auth;
    }

    /** The outbound HTTP client of the JWT (JWKS) and HTTP backends, made on first use. */
    private static final class LazyHttpClient {
        private final Supplier<SsrfPolicy> ssrf;
        OutboundHttpClient client;

        LazyHttpClient(Supplier<SsrfPolicy> ssrf) {
            this.ssrf = ssrf;
        }

        OutboundHttpClient get() {
            if (client == null) client = OutboundHttpClient.create(ssrf);
            return client;
        }

        /**
         * A client of its own for one HTTP backend, with the backend's {@code pool_size} and
         * {@code connect_timeout}, on the shared client's event loop (no thread of its own);
         * closed with the node's auth, before the shared one.
         */
        OutboundHttpClient forBackend(ConfigItem item, List<AutoCloseable> closeables) {
            OutboundHttpClient c = OutboundHttpClient.builder(ssrf).group(get().group())
                    .poolSize(item.<Integer>get("pool_size")).connectTimeout(item.get("connect_timeout")).build();
            closeables.add(c);
            return c;
        }
    }

    private static void closeAll(List<AutoCloseable> closeables, LazyHttpClient http) {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort on a failed start
            }
        }
        if (http.client != null) http.client.close();
    }

    private static void addWithoutAuthn(TrellisConfig c, String type, io.trellis.config.ConfigKey<Boolean> key,
                                        Set<String> out) {
        for (String name : c.names("listeners." + type)) {
            if (!c.get(key, name)) out.add(type + ":" + name);
        }
    }

    private static PasswordHashing hashing(ConfigItem item) {
        String name = item.string("password_hash_algorithm.name");
        return switch (name) {
            case "bcrypt" -> new PasswordHashing.Bcrypt(item.<Integer>get("password_hash_algorithm.salt_rounds"));
            case "pbkdf2" -> {
                Integer dk = item.get("password_hash_algorithm.dk_length");
                PasswordHashing.MacFun mac = PasswordHashing.MacFun.fromConfig(item.string("password_hash_algorithm.mac_fun"));
                int iterations = item.<Integer>get("password_hash_algorithm.iterations");
                yield dk == null ? new PasswordHashing.Pbkdf2(mac, iterations) : new PasswordHashing.Pbkdf2(mac, iterations, dk);
            }
            default -> new PasswordHashing.Simple(PasswordHashing.SimpleAlgorithm.fromConfig(name),
                    PasswordHashing.SaltPosition.fromConfig(item.string("password_hash_algorithm.salt_position")));
        };
    }

    /** The access control to install in the broker; starts the sweep of expired bans. */
    public synchronized NodeAccessControl accessControl(BrokerMetrics metrics) {
        if (banExpiry == null) {
            banExpiry = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "trellis-ban-expiry");
                t.setDaemon(true);
                return t;
            });
            banExpiry.scheduleWithFixedDelay(this::sweepExpiredBans, BAN_SWEEP_SECONDS, BAN_SWEEP_SECONDS, TimeUnit.SECONDS);
        }
        NodeAccessControl access = new NodeAccessControl(authenticators, authorizer, bans, settings, authnExecutor,
                metrics, listenersWithoutAuthn);
        if (jwtAcls != null) access.onNonJwtLogin(jwtAcls::forget);
        return access;
    }

    /** The built-in database, or null when the chain has none. */
    public BuiltInDatabase users() {
        return users;
    }

    public BanList bans() {
        return bans;
    }

    /** The built-in database authorization source's rules, or null when none is configured. */
    public AuthzRulesStore authzRules() {
        return authzRules;
    }

    /** Whether that source is enabled (asked), not only configured. */
    public boolean authzRulesEnabled() {
        return authzRulesEnabled;
    }

    /** Persists the built-in database after a change (API, ctl). */
    public void saveUsers() throws IOException {
        if (users != null) store.save(users.snapshot());
    }

    /** A change of the built-in database's users. */
    @FunctionalInterface
    public interface UsersChange<T> {
        T apply(BuiltInDatabase db) throws IOException;
    }

    /**
     * Runs {@code change} on the built-in database and persists the result. On a node whose chain
     * has no built-in database the change still applies to the stored file (hashes are kept as
     * they are, not checked), so the users are there if the authenticator is configured later.
     */
    public synchronized <T> T changeUsers(UsersChange<T> change) throws IOException {
        BuiltInDatabase db = users;
        if (db == null) {
            db = new BuiltInDatabase(UserIdType.USERNAME, new PasswordHashing.Simple(PasswordHashing.SimpleAlgorithm.SHA256,
                    PasswordHashing.SaltPosition.PREFIX));
            try {
                for (var u : store.load(db.hashing())) db.putUser(u);
            } catch (UserImportException e) {
                throw new IOException("cannot read the stored users: " + e.getMessage() + " (fix or move away " + store.file() + ")", e);
            }
        }
        T result = change.apply(db);
        store.save(db.snapshot());
        return result;
    }

    /** A change of the built-in database authorization rules. */
    @FunctionalInterface
    public interface RulesChange<T> {
        T apply(AuthzRulesStore rules) throws IOException;
    }

    /**
     * Runs {@code change} on the authorization rules ({@link AuthzRulesStore} persists each change).
     * On a node without a built_in_database source the change applies to the rules file alone,
     * without a max_rules limit (the node that took the change checked its own), so the rules are
     * there when the source is configured later.
     */
    public synchronized <T> T changeAuthzRules(RulesChange<T> change) throws IOException {
        AuthzRulesStore rules = authzRules;
        if (rules == null) {
            if (unconfiguredAuthzRules == null) {
                Path file = dataDir.resolve("authz").resolve("built_in_database.json");
                try {
                    unconfiguredAuthzRules = AuthzRulesStore.open(dataDir, Integer.MAX_VALUE);
                } catch (IOException e) {
                    throw new IOException("cannot read the stored authorization rules: " + e.getMessage()
                            + " (fix or move away " + file + ")", e);
                }
            }
            rules = unconfiguredAuthzRules;
        }
        return change.apply(rules);
    }

    /** Persists the manual bans in force (after a change, or when some expired). */
    public void saveBans() throws IOException {
        synchronized (banStore) {
            banStore.save(bans.manual());
        }
    }

    /** How often expired bans are dropped from memory and from the file. */
    static final long BAN_SWEEP_SECONDS = 30;

    void sweepExpiredBans() {
        try {
            if (bans.purgeExpired()) saveBans();
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(NodeAuth.class).warn("cannot rewrite {} after bans expired: {}", banStore.file(), e.getMessage());
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // closing JWKS refresh / HTTP client threads: nothing more to do
            }
        }
        synchronized (this) {
            if (banExpiry != null) banExpiry.shutdownNow();
        }
        authnExecutor.shutdownNow();
        try {
            authnExecutor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
