package io.trellis.security.authn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.security.http.OutboundHttpClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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
 * EMQX's {@code mechanism = password_based, backend = http}: asks an HTTP service whether the
 * client may connect.
 *
 * <p>The service answers 200 with {@code {"result": "allow" | "deny" | "ignore", "is_superuser":
 * true | false}} ({@code is_superuser} defaults to false), or 204 (allow, not a superuser). As in
 * EMQX, any other status, a body that is not such an object, a connection failure, an SSRF
 * refusal or no answer within {@code request_timeout} is {@code ignore}: the next authenticator
 * decides, and when there is none the chain denies. Redirects are not followed (a 3xx is ignore).
 *
 * <p>Placeholders: {@code ${username}}, {@code ${clientid}}, {@code ${password}},
 * {@code ${peerhost}}, {@code ${cert_common_name}}, {@code ${cert_subject}}.
 *
 * <p>The url is checked against the SSRF policy when this is built (a refused url is a
 * configuration error with EMQX's text) and again at every connect (the resolver group).
 * Neither the password nor the request body is ever logged.
 *
 * <p>{@link #authenticateAsync} is the broker's API (it must not block an event loop);
 * {@link #authenticate} waits for it, for callers on a thread that may block.
 */
public final class HttpAuthenticator implements Authenticator {

  private static final Logger LOG = LoggerFactory.getLogger(HttpAuthenticator.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final Set<String> PLACEHOLDERS = Set.of("username", "clientid", "password",
      "peerhost", "cert_common_name", "cert_subject");

  private final String id;
  private final HttpRequestTemplate template;
  private final OutboundHttpClient client;

  /**
   * @param keyPrefix the configuration path for errors, e.g. {@code authentication.2}
   * @throws IllegalArgumentException when the request is malformed or the SSRF policy refuses
   *     the url
   */
  public HttpAuthenticator(String keyPrefix, HttpRequestTemplate.Method method, String url,
      Map<String, String> headers, Map<String, String> body, java.time.Duration requestTimeout,
      OutboundHttpClient client) {
    this.client = Objects.requireNonNull(client, "client");
    Map<String, String> fields = body != null ? body
        : Map.of("username", "${username}", "password", "${password}");
    this.template = new HttpRequestTemplate(keyPrefix, method, url, headers, fields,
        requestTimeout, PLACEHOLDERS);
    client.checkUrl(keyPrefix + ".url",
        url.replaceAll("\\$\\{[A-Za-z_][A-Za-z0-9_]*}", "x"));
    this.id = "password_based:http";
  }

  @Override
  public String id() {
    return id;
  }

  /** Never blocks; never completes exceptionally (failures are {@code ignore}). */
  public CompletableFuture<AuthnResult> authenticateAsync(ConnectInfo connect) {
    HttpRequestTemplate.Rendered req = template.render(values(connect));
    return client.request(req.method(), req.url(), req.headers(), req.body(),
            template.requestTimeout())
        .thenApply(res -> interpret(res, req.url()))
        .exceptionally(e -> {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          // The host only: the URL's query may carry rendered credentials.
          LOG.warn("authentication service {} did not answer ({}: {}); ignoring it",
              req.url().getHost(), cause.getClass().getSimpleName(), safeMessage(cause));
          return AuthnResult.IGNORE;
        });
  }

  /** Blocks up to the request timeout (plus a margin); prefer {@link #authenticateAsync}. */
  @Override
  public AuthnResult authenticate(ConnectInfo connect) {
    if (client.onOwnEventLoop()) {
      LOG.warn("authentication service called synchronously on its own HTTP client's event loop"
          + " (it would deadlock); ignoring it: use authenticateAsync there");
      return AuthnResult.IGNORE;
    }
    try {
      return authenticateAsync(connect)
          .get(template.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return AuthnResult.IGNORE;
    } catch (ExecutionException | TimeoutException e) {
      return AuthnResult.IGNORE;
    }
  }

  static Map<String, String> values(ConnectInfo c) {
    Map<String, String> v = new HashMap<>();
    v.put("username", c.username());
    v.put("clientid", c.clientId());
    byte[] password = c.password();
    v.put("password", password == null ? null : new String(password, StandardCharsets.UTF_8));
    v.put("peerhost", c.peerAddress() == null ? null : c.peerAddress().getHostAddress());
    v.put("cert_common_name", c.certCommonName());
    v.put("cert_subject", c.certSubjectDn());
    return v;
  }

  private static AuthnResult interpret(OutboundHttpClient.Response res, URI url) {
    if (res.status() == 204) {
      return AuthnResult.allow(false);
    }
    if (res.status() != 200) {
      LOG.warn("authentication service {} answered HTTP {}; ignoring it", url.getHost(),
          res.status());
      return AuthnResult.IGNORE;
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
      case "allow" -> AuthnResult.allow(truthy(body.path("is_superuser")));
      case "deny" -> AuthnResult.deny("denied by the authentication service " + url.getHost());
      case "ignore" -> AuthnResult.IGNORE;
      default -> {
        LOG.warn("authentication service {} answered 200 without a result of allow, deny or"
            + " ignore; ignoring it", url.getHost());
        yield AuthnResult.IGNORE;
      }
    };
  }

  static boolean truthy(JsonNode node) {
    return node.isBoolean() ? node.asBoolean()
        : node.isTextual() && node.asText().equalsIgnoreCase("true");
  }

  /** Exception texts of the client name hosts and timeouts, never request content. */
  static String safeMessage(Throwable t) {
    String m = t.getMessage();
    return m == null ? "" : m;
  }
}
