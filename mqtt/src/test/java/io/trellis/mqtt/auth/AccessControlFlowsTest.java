package io.trellis.mqtt.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.mqtt.transport.ListenerSpec;
import io.trellis.security.authn.BuiltInDatabase;
import io.trellis.security.authn.PasswordHashing;
import io.trellis.security.authn.PeerCertAs;
import io.trellis.security.authn.UserIdType;
import io.trellis.security.authz.AclFile;
import io.trellis.security.authz.AuthzCache;
import io.trellis.security.authz.AuthzResult;
import io.trellis.security.authz.Authorizer;
import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real HiveMQ clients against a broker with the node's access control installed. */
class AccessControlFlowsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ExecutorService authn = Executors.newFixedThreadPool(2);
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private MqttServer server;
    private NodeAccessControl access;
    private final BuiltInDatabase sha256 = new BuiltInDatabase(UserIdType.USERNAME, PasswordHashing.emqxDefault());
    private final BuiltInDatabase bcrypt = new BuiltInDatabase(UserIdType.USERNAME, new PasswordHashing.Bcrypt(5));

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) server.close();
        authn.shutdownNow();
        authn.awaitTermination(5, TimeUnit.SECONDS);
    }

    private int start(Authorizer authorizer, BanList bans, NodeAccessControl.Settings settings, ListenerSpec... extra) {
        server = new MqttServer(BrokerSettings.defaults(), listeners(extra));
        access = new NodeAccessControl(List.of(sha256, bcrypt), authorizer, bans, settings, authn, server.broker().metrics());
        server.broker().accessControl(access);
        server.start();
        return server.boundListeners().get(0).address().getPort();
    }

    private static List<ListenerSpec> listeners(ListenerSpec... extra) {
        var all = new java.util.ArrayList<ListenerSpec>();
        all.add(new ListenerSpec(ListenerSpec.Type.TCP, "default", new InetSocketAddress("127.0.0.1", 0), null, null,
                Integer.MAX_VALUE));
        all.addAll(List.of(extra));
        return all;
    }

    private int startWithAcl(Authorizer.DenyAction denyAction) throws Exception {
        AclFile acl = AclFile.load(defaultAclConf());
        return start(new Authorizer(List.of(acl), AuthzResult.DENY, denyAction), BanList.manualOnly(),
                NodeAccessControl.Settings.defaults());
    }

    /** The acl.conf the distribution ships, so the test checks what operators get. */
    private static Path defaultAclConf() {
        Path p = Path.of("../etc/acl.conf");
        assertThat(p).exists();
        return p;
    }

    private static Mqtt5BlockingClient v5(int port, String id) {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(port)
                .buildBlocking();
    }

    private static Mqtt3BlockingClient v3(int port, String id) {
        return MqttClient.builder().useMqttVersion3().identifier(id).serverHost("127.0.0.1").serverPort(port)
                .buildBlocking();
    }

    private Mqtt5ConnAckReasonCode connect5(int port, String id, String user, String password) {
        var c = v5(port, id);
        try {
            var b = c.connectWith();
            if (user != null) b = b.simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
            var code = b.send().getReasonCode();
            c.disconnect();
            return code;
        } catch (Mqtt5ConnAckException e) {
            return e.getMqttMessage().getReasonCode();
        }
    }

    private Mqtt3ConnAckReturnCode connect3(int port, String id, String user, String password) {
        var c = v3(port, id);
        try {
            var b = c.connectWith();
            if (user != null) b = b.simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
            var code = b.send().getReturnCode();
            c.disconnect();
            return code;
        } catch (Mqtt3ConnAckException e) {
            return e.getMqttMessage().getReturnCode();
        }
    }

    @Test
    void builtInDatabaseSha256AndBcryptLoginsWithTheRightConnackCodes() {
        sha256.addUser("alice", "s3cret", false);
        bcrypt.addUser("bob", "hunter2", false);
        int port = start(null, BanList.manualOnly(), NodeAccessControl.Settings.defaults());

        assertThat(connect5(port, "a5", "alice", "s3cret")).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(connect3(port, "a3", "alice", "s3cret")).isEqualTo(Mqtt3ConnAckReturnCode.SUCCESS);
        assertThat(connect5(port, "b5", "bob", "hunter2")).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(connect3(port, "b3", "bob", "hunter2")).isEqualTo(Mqtt3ConnAckReturnCode.SUCCESS);

        assertThat(connect5(port, "x5", "alice", "wrong")).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
        assertThat(connect3(port, "x3", "bob", "wrong")).isEqualTo(Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD);
        // unknown user: every authenticator ignores it, so it is "not authorized"
        assertThat(connect5(port, "u5", "carol", "x")).isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
        assertThat(connect3(port, "u3", "carol", "x")).isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
        // anonymous with an authenticator configured
        assertThat(connect5(port, "n5", null, null)).isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
        assertThat(connect3(port, "n3", null, null)).isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);

        var m = server.broker().metrics().counters();
        assertThat(m.get("client.auth.success")).isEqualTo(4L);
        assertThat(m.get("client.auth.failure")).isEqualTo(6L);
    }

    @Test
    void defaultAclRefusesHashAndSysSubscriptionsAndAllowsOthers() throws Exception {
        int port = startWithAcl(Authorizer.DenyAction.IGNORE);
        sha256.addUser("u", "p", false);
        var c5 = v5(port, "s5");
        c5.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth().send();
        List<Mqtt5SubAckReasonCode> codes;
        try {
            codes = c5.subscribeWith()
                    .addSubscription().topicFilter("#").applySubscription()
                    .addSubscription().topicFilter("$SYS/#").applySubscription()
                    .addSubscription().topicFilter("$share/g/#").applySubscription()
                    .addSubscription().topicFilter("a/b").qos(MqttQos.AT_LEAST_ONCE).applySubscription()
                    .send().getReasonCodes();
        } catch (com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException e) {
            codes = e.getMqttMessage().getReasonCodes();
        }
        assertThat(codes).containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED, Mqtt5SubAckReasonCode.NOT_AUTHORIZED,
                Mqtt5SubAckReasonCode.NOT_AUTHORIZED, Mqtt5SubAckReasonCode.GRANTED_QOS_1);
        c5.disconnect();

        var c3 = v3(port, "s3");
        c3.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth().send();
        List<Mqtt3SubAckReturnCode> codes3;
        try {
            codes3 = c3.subscribeWith()
                    .addSubscription().topicFilter("#").applySubscription()
                    .addSubscription().topicFilter("a/+").qos(MqttQos.AT_MOST_ONCE).applySubscription()
                    .send().getReturnCodes();
        } catch (com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException e) {
            codes3 = e.getMqttMessage().getReturnCodes();
        }
        assertThat(codes3).containsExactly(Mqtt3SubAckReturnCode.FAILURE, Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_0);
        c3.disconnect();
        assertThat(server.broker().metrics().counters().get("client.authorization.deny")).isEqualTo(4L);
    }

    /** An ACL that denies publishing to secret/#, on top of the shipped rules. */
    private int startWithPublishDeny(Authorizer.DenyAction action) throws Exception {
        AclFile deny = AclFile.parse("test", "{deny, all, publish, [\"secret/#\"]}.\n{allow, all}.\n");
        sha256.addUser("u", "p", false);
        return start(new Authorizer(List.of(deny), AuthzResult.DENY, action), BanList.manualOnly(),
                NodeAccessControl.Settings.defaults());
    }

    @Test
    void deniedPublishGetsPuback87OnV5AndIsDroppedOnV311AndNobodyReceivesIt() throws Exception {
        int port = startWithPublishDeny(Authorizer.DenyAction.IGNORE);
        var sub = v5(port, "sub");
        sub.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth().send();
        var received = sub.publishes(MqttGlobalPublishFilter.ALL);
        sub.subscribeWith().topicFilter("secret/#").qos(MqttQos.AT_LEAST_ONCE).send();
        sub.subscribeWith().topicFilter("open/#").qos(MqttQos.AT_LEAST_ONCE).send();

        var p5 = v5(port, "p5");
        p5.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth().send();
        assertThatThrownBy(() -> p5.publishWith().topic("secret/x").qos(MqttQos.AT_LEAST_ONCE).payload("no".getBytes()).send())
                .isInstanceOfSatisfying(Mqtt5PubAckException.class,
                        e -> assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
        var p3 = v3(port, "p3");
        p3.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth().send();
        p3.publishWith().topic("secret/y").qos(MqttQos.AT_LEAST_ONCE).payload("no".getBytes()).send(); // acked, dropped
        // a following allowed message is the first and only thing the subscriber gets
        p3.publishWith().topic("open/z").qos(MqttQos.AT_LEAST_ONCE).payload("yes".getBytes()).send();
        Optional<com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish> first = received.receive(10, TimeUnit.SECONDS);
        assertThat(first).isPresent();
        assertThat(first.get().getTopic().toString()).isEqualTo("open/z");
        assertThat(p3.getState().isConnected()).isTrue();
        p5.disconnect();
        p3.disconnect();
        sub.disconnect();
    }

    @Test
    void denyActionDisconnectClosesTheConnection() throws Exception {
        int port = startWithPublishDeny(Authorizer.DenyAction.DISCONNECT);
        var c = v5(port, "d5");
        c.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth().send();
        try {
            c.publishWith().topic("secret/x").qos(MqttQos.AT_LEAST_ONCE).payload("no".getBytes()).send();
        } catch (RuntimeException expected) {
            // the broker's DISCONNECT 0x87 ends the publish flow
        }
        await().atMost(WAIT).until(() -> !c.getState().isConnected());
        var c3 = v3(port, "d3");
        c3.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth().send();
        c3.toAsync().publishWith().topic("secret/y").qos(MqttQos.AT_MOST_ONCE).payload("no".getBytes()).send();
        await().atMost(WAIT).until(() -> !c3.getState().isConnected());
    }

    @Test
    void repeatedFailuresBanTheClientUntilTheBanExpires() {
        sha256.addUser("alice", "s3cret", false);
        int port = start(null, new BanList(clock::get, 3, 60_000, 300_000), NodeAccessControl.Settings.defaults());
        for (int i = 0; i < 3; i++) {
            assertThat(connect5(port, "c" + i, "alice", "wrong")).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
        }
        // 127.0.0.1 reached 3 failures: even the right password is refused now
        assertThat(connect5(port, "ok", "alice", "s3cret")).isEqualTo(Mqtt5ConnAckReasonCode.BANNED);
        assertThat(connect3(port, "ok3", "alice", "s3cret")).isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
        assertThat(access.bans().list()).extracting(BanList.Ban::as).contains(BanList.As.PEERHOST);
        clock.addAndGet(300_000);
        assertThat(access.bans().list()).isEmpty();
        assertThat(connect5(port, "ok", "alice", "s3cret")).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
    }

    @Test
    void manualBanByClientIdAndUsername() {
        sha256.addUser("alice", "s3cret", false);
        int port = start(null, BanList.manualOnly(), NodeAccessControl.Settings.defaults());
        access.bans().add(new BanList.Ban(BanList.As.CLIENTID, "evil", "test", "", 0, Long.MAX_VALUE));
        access.bans().add(new BanList.Ban(BanList.As.USERNAME, "alice", "test", "", 0, Long.MAX_VALUE));
        assertThat(connect5(port, "evil", null, null)).isEqualTo(Mqtt5ConnAckReasonCode.BANNED);
        assertThat(connect5(port, "fine", "alice", "s3cret")).isEqualTo(Mqtt5ConnAckReasonCode.BANNED);
        assertThat(access.bans().delete(BanList.As.USERNAME, "alice")).isTrue();
        assertThat(connect5(port, "fine", "alice", "s3cret")).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
    }

    @Test
    void superuserBypassesAuthorization() throws Exception {
        sha256.addUser("root", "r", true);
        int port = startWithAcl(Authorizer.DenyAction.IGNORE);
        var c = v5(port, "root");
        c.connectWith().simpleAuth().username("root").password("r".getBytes()).applySimpleAuth().send();
        assertThat(c.subscribeWith().topicFilter("#").send().getReasonCodes())
                .containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_2);
        c.disconnect();
    }

    @Test
    void peerCertAsUsernameAuthenticatesByTheCertificateCommonName() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", KeyPairs.ecP256(), Duration.ofDays(1));
        KeyPair serverKeys = KeyPairs.ecP256();
        X509Certificate serverCert = ca.issue("localhost", List.of("127.0.0.1"), serverKeys, Duration.ofDays(1),
                CertificateAuthority.Usage.SERVER);
        KeyPair clientKeys = KeyPairs.ecP256();
        X509Certificate clientCert = ca.issue("device-42", List.of(), clientKeys, Duration.ofDays(1),
                CertificateAuthority.Usage.CLIENT);
        SslContext tls = SslContextBuilder.forServer(serverKeys.getPrivate(), serverCert)
                .trustManager(ca.certificate()).clientAuth(ClientAuth.REQUIRE).build();
        // the user is the certificate's CN; the password is still checked
        sha256.addUser("device-42", "pw", false);
        NodeAccessControl.Settings settings = new NodeAccessControl.Settings(true, AuthzCache.DEFAULT_MAX_SIZE,
                AuthzCache.DEFAULT_TTL, true, PeerCertAs.CN, PeerCertAs.DISABLED);
        start(null, BanList.manualOnly(), settings,
                new ListenerSpec(ListenerSpec.Type.SSL, "default", new InetSocketAddress("127.0.0.1", 0), tls, null,
                        Integer.MAX_VALUE));
        int sslPort = server.boundListeners().stream().filter(l -> l.spec().type() == ListenerSpec.Type.SSL)
                .map(BoundListener::address).findFirst().orElseThrow().getPort();

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", clientKeys.getPrivate(), "x".toCharArray(), new X509Certificate[] {clientCert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "x".toCharArray());
        MqttClientSslConfig ssl = MqttClientSslConfig.builder().trustManagerFactory(tmf).keyManagerFactory(kmf)
                .hostnameVerifier((h, s) -> true).build();

        var c = MqttClient.builder().useMqttVersion5().identifier("tls1").serverHost("127.0.0.1").serverPort(sslPort)
                .sslConfig(ssl).buildBlocking();
        // the username the client sends is replaced by the certificate's CN
        var ack = c.connectWith().simpleAuth().username("someone-else").password("pw".getBytes()).applySimpleAuth().send();
        assertThat(ack.getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        c.disconnect();
        // without the certificate's user in the database the same client is refused
        sha256.deleteUser("device-42");
        var again = MqttClient.builder().useMqttVersion5().identifier("tls2").serverHost("127.0.0.1").serverPort(sslPort)
                .sslConfig(ssl).buildBlocking();
        assertThatThrownBy(() -> again.connectWith().simpleAuth().username("someone-else").password("pw".getBytes())
                .applySimpleAuth().send()).isInstanceOf(Mqtt5ConnAckException.class);
    }

    @Test
    void aWillIsAuthorizedWhenItIsSentAndADeniedOneReachesNobody() throws Exception {
        int port = startWithPublishDeny(Authorizer.DenyAction.IGNORE);
        var sub = v5(port, "will-sub");
        sub.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth().send();
        var received = sub.publishes(MqttGlobalPublishFilter.ALL);
        sub.subscribeWith().topicFilter("secret/#").send();
        sub.subscribeWith().topicFilter("open/#").send();
        var disconnectWithWill = com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE;
        for (String topic : List.of("secret/will", "open/will")) {
            var c = v5(port, "w-" + topic.replace('/', '-'));
            c.connectWith().simpleAuth().username("u").password("p".getBytes()).applySimpleAuth()
                    .willPublish().topic(topic).payload(topic.getBytes()).applyWillPublish().send();
            long before = server.broker().metrics().counters().get("client.disconnected");
            c.disconnectWith().reasonCode(disconnectWithWill).send();
            await().atMost(WAIT).until(() -> server.broker().metrics().counters().get("client.disconnected") > before);
        }
        // the denied will was handled first; the first (and only) will to arrive is the allowed one
        var first = received.receive(10, TimeUnit.SECONDS);
        assertThat(first).isPresent();
        assertThat(first.get().getTopic().toString()).isEqualTo("open/will");
        sub.disconnect();
    }

    @Test
    void refusedLoginsAreLoggedWithoutThePassword() {
        sha256.addUser("alice", "s3cret-right", false);
        var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.trellis");
        var appender = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        appender.start();
        ch.qos.logback.classic.Level old = logger.getLevel();
        logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
        logger.addAppender(appender);
        try {
            int port = start(null, BanList.manualOnly(), NodeAccessControl.Settings.defaults());
            assertThat(connect5(port, "l1", "alice", "s3cret-wrong")).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
            assertThat(connect3(port, "l2", "alice", "s3cret-wrong")).isEqualTo(Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD);
            assertThat(connect5(port, "l3", "alice", "s3cret-right")).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(old);
        }
        assertThat(appender.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .anySatisfy(m -> assertThat(m).contains("l1", "refused"))
                .allSatisfy(m -> assertThat(m).doesNotContain("s3cret"));
    }
}
