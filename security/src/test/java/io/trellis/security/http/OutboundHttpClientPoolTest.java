package io.trellis.security.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import io.trellis.security.ssrf.SsrfRefusedException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The keep-alive pool of {@link OutboundHttpClient} against a real local server: reuse, the
 * bound, reconnects, and that every new connection (and only a new one) runs the SSRF check.
 * {@code hook.test} resolves through a counting fake resolver, so each look-up is one check.
 */
class OutboundHttpClientPoolTest {

  private static final SsrfPolicy LOOPBACK_ALLOWED = SsrfPolicy.builder().enable(true)
      .allowCidrs(List.of("127.0.0.1/32")).build();
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final SsrfPolicyHolder policy = new SsrfPolicyHolder(LOOPBACK_ALLOWED);
  private final AtomicInteger lookups = new AtomicInteger();
  private volatile InetAddress hookAddress;
  private CountingHttpServer server;
  private OutboundHttpClient client;
  private URI url;

  @BeforeEach
  void start() throws Exception {
    hookAddress = InetAddress.getByAddress("hook.test", new byte[] {127, 0, 0, 1});
    server = new CountingHttpServer();
    url = URI.create("http://hook.test:" + server.port() + "/hook");
    client = client(8);
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private OutboundHttpClient client(int poolSize) {
    HostResolver resolver = name -> {
      if (!name.equals("hook.test")) {
        throw new UnknownHostException(name);
      }
      lookups.incrementAndGet();
      return List.of(hookAddress);
    };
    return OutboundHttpClient.builder(policy).hostResolver(resolver).poolSize(poolSize).build();
  }

  private OutboundHttpClient.Response get() throws Exception {
    return client.request("POST", url, Map.of(), "{}", TIMEOUT).get(20, TimeUnit.SECONDS);
  }

  @Test
  void sequentialRequestsShareOneConnectionAndOneCheck() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(get().status()).isEqualTo(200);
    }
    assertThat(server.requests()).isEqualTo(5);
    assertThat(server.connections()).isEqualTo(1);
    assertThat(lookups).hasValue(1);
    assertThat(client.idleConnections(url)).isEqualTo(1);
  }

  @Test
  void noMoreConnectionsThanThePoolSizeAndTheRestWait() throws Exception {
    client.close();
    client = client(2);
    server.hold(true);
    List<CompletableFuture<OutboundHttpClient.Response>> sent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sent.add(client.request("POST", url, Map.of(), "{}", TIMEOUT));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.held() == 2);
    assertThat(server.connections()).isEqualTo(2);
    assertThat(client.openConnections(url)).isEqualTo(2);
    assertThat(sent).noneMatch(CompletableFuture::isDone);

    server.releaseHeld(); // the waiting three go out on the same two connections
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    assertThat(server.requests()).isEqualTo(5);
    assertThat(server.connections()).isEqualTo(2);
  }

  @Test
  void aConnectionTheServerClosedIsReplacedAndTheNewOneIsCheckedAgain() throws Exception {
    get();
    server.closeConnections();
    await().atMost(Duration.ofSeconds(10)).until(() -> client.idleConnections(url) == 0);

    assertThat(get().status()).isEqualTo(200);
    assertThat(server.connections()).isEqualTo(2);
    assertThat(lookups).hasValue(2);
  }

  @Test
  void connectionCloseFromTheServerIsHonoured() throws Exception {
    server.closeAfterAnswer(true);
    get();
    get();
    assertThat(server.connections()).isEqualTo(2);
    assertThat(lookups).hasValue(2);
  }

  @Test
  void aNameThatNowResolvesToADeniedAddressReusesOnlyTheCheckedConnection() throws Exception {
    get();
    hookAddress = InetAddress.getByAddress("hook.test", new byte[] {10, 0, 0, 1});
    // Reusing the open connection dials nothing: it goes to 127.0.0.1, checked when it was made.
    assertThat(get().status()).isEqualTo(200);
    assertThat(server.connections()).isEqualTo(1);
    assertThat(lookups).hasValue(1);

    server.closeConnections();
    await().atMost(Duration.ofSeconds(10)).until(() -> client.idleConnections(url) == 0);
    // A new connection resolves and checks again: the rebound address is refused.
    assertThatThrownBy(this::get).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(SsrfRefusedException.class);
    assertThat(lookups).hasValue(2);
    assertThat(server.connections()).isEqualTo(1);
  }

  @Test
  void aPolicyChangeClosesIdleConnectionsAndTheNextRequestIsCheckedUnderTheNewPolicy()
      throws Exception {
    get();
    assertThat(server.openConnections()).isEqualTo(1);
    policy.set(SsrfPolicy.builder().enable(true).build()); // the default deny list: no loopback

    assertThatThrownBy(this::get).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(SsrfRefusedException.class);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
    assertThat(server.connections()).isEqualTo(1);

    policy.set(LOOPBACK_ALLOWED);
    assertThat(get().status()).isEqualTo(200);
    assertThat(server.connections()).isEqualTo(2);
  }

  @Test
  void aConnectionInUseWhenThePolicyChangesIsClosedWhenItComesBack() throws Exception {
    server.hold(true);
    CompletableFuture<OutboundHttpClient.Response> before =
        client.request("POST", url, Map.of(), "{}", TIMEOUT);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.held() == 1);
    // a new policy that still allows loopback: the connection is fine, but was checked under the old one
    policy.set(SsrfPolicy.builder().enable(true).allowCidrs(List.of("127.0.0.1/32")).build());
    CompletableFuture<OutboundHttpClient.Response> after =
        client.request("POST", url, Map.of(), "{}", TIMEOUT);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.held() == 2);
    server.releaseHeld();
    before.get(20, TimeUnit.SECONDS);
    after.get(20, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 1);
    assertThat(get().status()).isEqualTo(200);
    assertThat(server.connections()).isEqualTo(2);
    assertThat(lookups).hasValue(2);
  }

  @Test
  void aRequestThatTimesOutWhileWaitingForAConnectionGivesItsTurnAway() throws Exception {
    client.close();
    client = client(1);
    server.hold(true);
    CompletableFuture<OutboundHttpClient.Response> first =
        client.request("POST", url, Map.of(), "{}", TIMEOUT);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.held() == 1);
    CompletableFuture<OutboundHttpClient.Response> late =
        client.request("POST", url, Map.of(), "{}", Duration.ofMillis(50));
    assertThatThrownBy(() -> late.get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);

    server.releaseHeld();
    assertThat(first.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
    assertThat(get().status()).isEqualTo(200);
    assertThat(server.requests()).isEqualTo(2); // the one that timed out was never sent
    assertThat(server.connections()).isEqualTo(1);
  }

  @Test
  void aClosedClientRefusesRequests() {
    client.close();
    assertThatThrownBy(this::get).hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }
}
