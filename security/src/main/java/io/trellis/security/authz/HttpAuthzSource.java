package io.trellis.security.authz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.security.authn.HttpRequestTemplate;
import io.trellis.security.http.OutboundHttpClient;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EMQX's {@code authorization.sources} entry {@code type = http}: asks an HTTP service whether a
 * client may publish or subscribe.
 *
 * <p>The service answers 200 with {@code {"result": "allow" | "deny" | "ignore"}}, or 204
 * (allow). As in EMQX, anything else (another status, another body, a connection failure, an SSRF
 * refusal, no answer within {@code request_timeout}) is {@code ignore}, i.e.
 * {@link AuthzResult#NOMATCH}: the next source, then {@code no_match}, decides.
 *
 * <p>Placeholders: {@code ${username}}, {@code ${clientid}}, {@code ${peerhost}},
 * {@code ${topic}}, {@code ${action}} ({@code publish | subscribe}), {@code ${qos}},
 * {@code ${retain}} ({@code true | false}). The url is SSRF-checked here and at every connect.
 *
 * <p>{@link #authorizeAsync} never blocks, and the broker asks through it
 * ({@link Authorizer#authorizeAsync}); {@link #authorize} waits for it (the {@link AuthzSource}
 * contract is synchronous) and would hold an MQTT event loop for up to {@code request_timeout}.
 * Called on the HTTP client's own loop it answers NOMATCH at once rather than
 * deadlock; give the client its own group (the default) so the two never coincide.
 */
public final class HttpAuthzSource implements AsyncAuthzSource {

  private static final Logger LOG = LoggerFactory.getLogger(HttpAuthzSource.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final Set<String> PLACEHOLDERS = Set.of("username", "clientid", "peerhost",
      "topic", "action", "qos", "retain");

  private final HttpRequestTemplate template;
  private final OutboundHttpClient client;

  /**
   * @param keyPrefix the configuration path for errors, e.g. {@code authorization.sources.2}
   * @param body the request fields; {@code null} for none
   */
  public HttpAuthzSource(String keyPrefix, HttpRequestTemplate.Method method, String url,
      Map<String, String> headers, Map<String, String> body, Duration requestTimeout,
      OutboundHttpClient client) {
    this.client = Objects.requireNonNull(client, "client");
    this.template = new HttpRequestTemplate(keyPrefix, method, url, headers, body,
        requestTimeout, PLACEHOLDERS);
    client.checkUrl(keyPrefix + ".url",
        url.replaceAll("\\$\\{[A-Za-z_][A-Za-z0-9_]*}", "x"));
  }

  /** Never completes exceptionally: a failure is {@link AuthzResult#NOMATCH}. */
  @Override
  public CompletableFuture<AuthzResult> authorizeAsync(AuthzClient who, AuthzAction action,
      String topic) {
    HttpRequestTemplate.Rendered req = template.render(values(who, action, topic));
    return client.request(req.method(), req.url(), req.headers(), req.body(),
            template.requestTimeout())
        .thenApply(res -> interpret(res, req.url()))
        .exceptionally(e -> {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          LOG.warn("authorization service {} did not answer ({}: {}); ignoring it",
              req.url().getHost(), cause.getClass().getSimpleName(), cause.getMessage());
          return AuthzResult.NOMATCH;
        });
  }

  @Override
  public AuthzResult authorize(AuthzClient who, AuthzAction action, String topic) {
    if (client.onOwnEventLoop()) {
      LOG.warn("authorization service called synchronously on its own HTTP client's event loop"
          + " (it would deadlock); ignoring it: use authorizeAsync there");
      return AuthzResult.NOMATCH;
    }
    try {
      return authorizeAsync(who, action, topic)
          .get(template.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return AuthzResult.NOMATCH;
    } catch (ExecutionException | TimeoutException e) {
      return AuthzResult.NOMATCH;
    }
  }

  static Map<String, String> values(AuthzClient who, AuthzAction action, String topic) {
    Map<String, String> v = new HashMap<>();
    v.put("username", who.username());
    v.put("clientid", who.clientId());
    v.put("peerhost", who.peerAddress() == null ? null : who.peerAddress().getHostAddress());
    v.put("topic", topic);
    v.put("action", action.type().name().toLowerCase(Locale.ROOT));
    v.put("qos", Integer.toString(action.qos()));
    v.put("retain", Boolean.toString(action.retain()));
    return v;
  }

  private static AuthzResult interpret(OutboundHttpClient.Response res, URI url) {
    if (res.status() == 204) {
      return AuthzResult.ALLOW;
    }
    if (res.status() != 200) {
      LOG.warn("authorization service {} answered HTTP {}; ignoring it", url.getHost(),
          res.status());
      return AuthzResult.NOMATCH;
    }
    JsonNode body;
    try {
      body = JSON.readTree(res.body());
    } catch (Exception e) {
      body = null;
    }
    String result = body != null && body.isObject() && body.path("result").isTextual()
        ? body.path("result").asText().toLowerCase(Locale.ROOT) : "";
    return switch (result) {
      case "allow" -> AuthzResult.ALLOW;
      case "deny" -> AuthzResult.DENY;
      case "ignore" -> AuthzResult.NOMATCH;
      default -> {
        LOG.warn("authorization service {} answered 200 without a result of allow, deny or"
            + " ignore; ignoring it", url.getHost());
        yield AuthzResult.NOMATCH;
      }
    };
  }
}
