package io.trellis.security.authn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.util.concurrent.ScheduledFuture;
import io.trellis.security.http.OutboundHttpClient;
import java.math.BigInteger;
import java.net.URI;
import java.security.AlgorithmParameters;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EMQX's {@code use_jwks = true, endpoint, refresh_interval}: the public keys of a JSON Web Key
 * Set fetched over HTTP(S) and refreshed every {@code refresh_interval} (default 300 s).
 *
 * <p>The endpoint is an outbound target: SSRF-checked when this is built and at every fetch
 * (the client's resolver group). Until the first fetch succeeds there are no keys, and tokens are
 * ignored (EMQX does the same); a failed refresh keeps the keys already loaded.
 *
 * <p>RSA ({@code kty = RSA}) and EC ({@code kty = EC}, P-256/P-384/P-521) keys are read; other
 * kinds and keys with {@code use = enc} are skipped. A token with a {@code kid} is checked only
 * against the key with that id; a key that names an {@code alg} is used only for it. A
 * {@code kid} the set does not hold (the issuer rotated its keys) causes an early fetch, at most
 * one every 30 seconds, once {@link #start()} has run.
 */
public final class Jwks implements JwtKeySource, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Jwks.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(300);
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

  /** One key of the set. */
  record Jwk(String kid, String alg, PublicKey key) {}

  private final URI endpoint;
  private final Duration refreshInterval;
  private final OutboundHttpClient client;
  private final AtomicReference<List<Jwk>> keys = new AtomicReference<>(List.of());
  private volatile ScheduledFuture<?> refresher;
  /** When an unknown kid last caused a fetch (nanoTime), or 0: at most one per interval. */
  private final java.util.concurrent.atomic.AtomicLong lastKidMissFetch =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.function.LongSupplier nanoTime = System::nanoTime;

  /**
   * Checks the endpoint; fetches nothing until {@link #start()}.
   *
   * @throws IllegalArgumentException when the endpoint is malformed or the SSRF policy refuses it
   */
  public Jwks(String keyPrefix, String endpoint, Duration refreshInterval,
      OutboundHttpClient client) {
    this.client = Objects.requireNonNull(client, "client");
    this.endpoint = client.checkUrl(keyPrefix + ".endpoint", endpoint);
    this.refreshInterval = refreshInterval == null ? DEFAULT_REFRESH_INTERVAL : refreshInterval;
    if (this.refreshInterval.toMillis() <= 0) {
      throw new IllegalArgumentException(keyPrefix + ".refresh_interval: must be positive");
    }
  }

  /** Fetches now and then every refresh interval. */
  public Jwks start() {
    refresh();
    long ms = refreshInterval.toMillis();
    refresher = client.group().next().scheduleWithFixedDelay(this::refresh, ms, ms,
        TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * One fetch. Completes with the number of keys loaded, or exceptionally (the SSRF refusal, a
   * connection error, a non-2xx status, a body that is not a key set); the old keys stay then.
   */
  public CompletableFuture<Integer> refresh() {
    return client.request("GET", endpoint, Map.of("accept", "application/json"), null,
            FETCH_TIMEOUT)
        .thenApply(res -> {
          if (!res.success()) {
            throw new IllegalStateException("JWKS endpoint " + endpoint + " answered HTTP "
                + res.status());
          }
          List<Jwk> parsed = parse(res.body());
          keys.set(parsed);
          return parsed.size();
        })
        .whenComplete((n, e) -> {
          if (e != null) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            LOG.warn("JWKS refresh from {} failed ({}: {}); keeping {} keys", endpoint,
                cause.getClass().getSimpleName(), cause.getMessage(), keys.get().size());
          }
        });
  }

  /** The key set in a JWKS document; keys that cannot be read are skipped. */
  static List<Jwk> parse(String body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (Exception e) {
      throw new IllegalStateException("the JWKS endpoint's answer is not JSON");
    }
    JsonNode list = root == null ? null : root.get("keys");
    if (list == null || !list.isArray()) {
      throw new IllegalStateException("the JWKS endpoint's answer has no \"keys\" list");
    }
    List<Jwk> out = new ArrayList<>();
    for (JsonNode k : list) {
      if ("enc".equals(k.path("use").asText(null))) {
        continue;
      }
      try {
        PublicKey key = switch (k.path("kty").asText("")) {
          case "RSA" -> KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
              unsigned(k, "n"), unsigned(k, "e")));
          case "EC" -> ecKey(k);
          default -> null;
        };
        if (key != null) {
          out.add(new Jwk(k.path("kid").asText(null), k.path("alg").asText(null), key));
        }
      } catch (Exception e) {
        LOG.warn("JWKS: skipping key {} ({})", k.path("kid").asText("without kid"),
            e.getClass().getSimpleName());
      }
    }
    return List.copyOf(out);
  }

  private static PublicKey ecKey(JsonNode k) throws Exception {
    String curve = switch (k.path("crv").asText("")) {
      case "P-256" -> "secp256r1";
      case "P-384" -> "secp384r1";
      case "P-521" -> "secp521r1";
      default -> throw new IllegalArgumentException("unsupported curve");
    };
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec(curve));
    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
        new ECPoint(unsigned(k, "x"), unsigned(k, "y")), spec));
  }

  private static BigInteger unsigned(JsonNode k, String field) {
    String v = k.path(field).asText("");
    if (v.isEmpty()) {
      throw new IllegalArgumentException("missing " + field);
    }
    return new BigInteger(1, Base64.getUrlDecoder().decode(v));
  }

  @Override
  public List<Key> candidates(String alg, String kid) {
    List<Key> out = new ArrayList<>();
    boolean kidKnown = kid == null;
    for (Jwk jwk : keys.get()) {
      if (kid != null && !kid.equals(jwk.kid())) {
        continue;
      }
      kidKnown = true;
      if (jwk.alg() != null && !jwk.alg().equals(alg)) {
        continue;
      }
      if (JwtAuthenticator.fits(alg, jwk.key())) {
        out.add(jwk.key());
      }
    }
    if (!kidKnown && refresher != null) {
      fetchForUnknownKid();
    }
    return out;
  }

  /**
   * A token names a key the set does not hold: the issuer may have rotated its keys. Fetch now
   * (in the background; this token is still refused), at most once per
   * {@link #KID_MISS_FETCH_INTERVAL} so that tokens with made-up kids cannot drive the endpoint.
   */
  private void fetchForUnknownKid() {
    long now = nanoTime.getAsLong();
    long last = lastKidMissFetch.get();
    long gap = Math.min(KID_MISS_FETCH_INTERVAL.toNanos(), refreshInterval.toNanos());
    if ((last == 0 || now - last >= gap) && lastKidMissFetch.compareAndSet(last, now)) {
      kidMissFetches.incrementAndGet();
      refresh();
    }
  }

  private final java.util.concurrent.atomic.AtomicInteger kidMissFetches =
      new java.util.concurrent.atomic.AtomicInteger();

  /** How many fetches an unknown kid has started (for tests and metrics). */
  int kidMissFetches() {
    return kidMissFetches.get();
  }

  public static final Duration KID_MISS_FETCH_INTERVAL = Duration.ofSeconds(30);

  /** How many keys are loaded now. */
  public int size() {
    return keys.get().size();
  }

  @Override
  public void close() {
    ScheduledFuture<?> r = refresher;
    if (r != null) {
      r.cancel(false);
    }
  }
}
