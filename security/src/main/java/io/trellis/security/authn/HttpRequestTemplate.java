package io.trellis.security.authn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.security.http.OutboundHttpClient;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The request an HTTP backend (authentication or authorization) sends, in EMQX's shape: {@code
 * method = post | get}, {@code url}, {@code headers}, {@code body} (a map of fields whose values
 * may hold {@code ${name}} placeholders), {@code request_timeout}.
 *
 * <p>Rendering follows EMQX: placeholders in the URL's path and query are filled URL-encoded; a
 * POST body is a JSON object (or a form, when {@code content-type} is
 * {@code application/x-www-form-urlencoded}); a GET sends the body fields as query parameters.
 * Values are escaped by the JSON writer and the URL encoder, so a client cannot inject fields by
 * choosing its username. A placeholder whose value the client did not send renders as the empty
 * string. Unknown placeholder names are configuration errors.
 */
public final class HttpRequestTemplate {

  public enum Method { POST, GET }

  /** A request ready to send. Its {@link #toString()} never shows the body (it may hold a password). */
  public record Rendered(String method, URI url, Map<String, String> headers, String body) {
    @Override
    public String toString() {
      return "Rendered[" + method + " " + url.getScheme() + "://" + url.getHost() + url.getPath()
          + "]";
    }
  }

  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Method method;
  private final String url;
  private final Map<String, String> headers;
  private final Map<String, String> body;
  private final Duration requestTimeout;
  private final boolean form;

  /**
   * @param keyPrefix the configuration path for errors, e.g. {@code authentication.1}
   * @param allowed the placeholder names this backend offers
   */
  public HttpRequestTemplate(String keyPrefix, Method method, String url,
      Map<String, String> headers, Map<String, String> body, Duration requestTimeout,
      Set<String> allowed) {
    this.method = Objects.requireNonNull(method, keyPrefix + ".method");
    // The form, with every placeholder standing for a plain value.
    OutboundHttpClient.parseUrl(keyPrefix + ".url",
        url == null ? null : PLACEHOLDER.matcher(url).replaceAll("x"));
    String trimmed = url.trim();
    int start = trimmed.indexOf("://") + 3;
    int end = start;
    while (end < trimmed.length() && "/?#".indexOf(trimmed.charAt(end)) < 0) {
      end++;
    }
    if (trimmed.substring(start, end).contains("${")) {
      // The host is what the SSRF check approved at configuration: a client must not choose it.
      throw new IllegalArgumentException(keyPrefix + ".url: placeholders are allowed only in the"
          + " path and query, not in the host or port");
    }
    this.url = url.trim();
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (method == Method.POST) {
      h.put("content-type", "application/json");
    }
    h.put("accept", "application/json");
    if (headers != null) {
      h.putAll(headers);
    }
    this.headers = h;
    this.body = body == null ? Map.of() : new LinkedHashMap<>(body);
    this.requestTimeout = requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout;
    if (this.requestTimeout.isNegative() || this.requestTimeout.isZero()) {
      throw new IllegalArgumentException(keyPrefix + ".request_timeout: must be positive, got "
          + requestTimeout);
    }
    String type = h.getOrDefault("content-type", "").toLowerCase(Locale.ROOT);
    this.form = type.startsWith("application/x-www-form-urlencoded");
    if (method == Method.POST && !form && !type.startsWith("application/json")) {
      throw new IllegalArgumentException(keyPrefix + ".headers.content-type: '" + type
          + "' is not supported; use application/json or application/x-www-form-urlencoded");
    }
    checkPlaceholders(keyPrefix + ".url", this.url, allowed);
    this.body.forEach((k, v) -> checkPlaceholders(keyPrefix + ".body." + k, v, allowed));
    h.forEach((k, v) -> checkPlaceholders(keyPrefix + ".headers." + k, v, allowed));
  }

  public static Method methodFromConfig(String value, String key) {
    return ConfigNames.parse(Method.class, value, key);
  }

  public String url() {
    return url;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  private static void checkPlaceholders(String key, String text, Set<String> allowed) {
    if (text == null) {
      return;
    }
    Matcher m = PLACEHOLDER.matcher(text);
    while (m.find()) {
      if (!allowed.contains(m.group(1))) {
        throw new IllegalArgumentException(key + ": unknown placeholder ${" + m.group(1)
            + "}; use one of " + allowed.stream().sorted().map(a -> "${" + a + "}")
                .collect(Collectors.joining(", ")));
      }
    }
  }

  /** One pass over {@code text}: a value that itself looks like a placeholder is not expanded. */
  static String fill(String text, Map<String, String> values, boolean urlEncode) {
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = values.get(m.group(1));
      v = v == null ? "" : v;
      if (urlEncode) {
        v = URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The request for these placeholder values (a missing or null value renders as ""). */
  public Rendered render(Map<String, String> values) {
    Map<String, String> fields = new LinkedHashMap<>();
    body.forEach((k, v) -> fields.put(k, fill(v, values, false)));
    String target = fill(url, values, true);
    String payload = null;
    if (method == Method.GET) {
      if (!fields.isEmpty()) {
        target += (target.contains("?") ? "&" : "?") + formEncode(fields);
      }
    } else if (form) {
      payload = formEncode(fields);
    } else {
      try {
        payload = JSON.writeValueAsString(fields);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot write a JSON object of strings", e);
      }
    }
    Map<String, String> h = new LinkedHashMap<>();
    headers.forEach((k, v) -> h.put(k, fill(v, values, false)));
    return new Rendered(method.name(), URI.create(target), h, payload);
  }

  private static String formEncode(Map<String, String> fields) {
    StringBuilder out = new StringBuilder();
    fields.forEach((k, v) -> out.append(out.length() == 0 ? "" : "&")
        .append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return out.toString();
  }
}
