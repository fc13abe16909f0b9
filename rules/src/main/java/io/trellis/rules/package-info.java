/**
 * The rule engine: SQL-like rules over published messages, the actions they feed (republish,
 * HTTP webhook, MQTT bridge) and the connectors that hold outbound endpoints, every dial going
 * through the SSRF policy. Entry point: {@link io.trellis.rules.RuleEngine}; the broker calls
 * {@link io.trellis.rules.RuleEngine#onMessagePublished(io.trellis.rules.RuleInput)} and
 * implements {@link io.trellis.rules.action.Republisher}.
 *
 * <p>Packages: {@code sql} (parser and evaluator of EMQX's rule SQL subset), {@code template}
 * ({@code ${field}} rendering), {@code action} (sinks, the bounded delivery queue with retries
 * and metrics), {@code connector} (Netty HTTP client, MQTT bridge client, status), {@code api}
 * (EMQX's JSON bodies as records, the state document).
 *
 * <p><b>Behaviour worth knowing, and where it differs from EMQX</b>:
 * <ul>
 *   <li>A template placeholder whose field is missing renders as the empty string (EMQX 5;
 *       EMQX 4 rendered {@code undefined}). An empty payload/body template sends every selected
 *       field as a JSON object.</li>
 *   <li>Comparisons with a missing field are false, except {@code missing = undefined}.</li>
 *   <li>HTTP redirects are never followed: a 3xx answer fails the request and names the
 *       Location (a redirect would be a second, unchecked destination). 4xx other than 408/429,
 *       SSRF refusals, template errors and disabled connectors are not retried; other failures
 *       are retried with exponential backoff, then counted failed and dropped.</li>
 *   <li>HTTP connections are kept alive, at most {@code pool_size} per connector (and so at most
 *       that many requests at once), one request at a time on each: {@code enable_pipelining}
 *       is accepted and ignored. Every new connection passes the SSRF check; a policy change
 *       retires the pooled ones ({@link io.trellis.security.http.OutboundHttpClient}).</li>
 *   <li>The MQTT bridge speaks MQTT 3.1.1 (QoS 0, 1 and 2 egress); ingress bridging is not built.</li>
 *   <li>The SSRF policy is checked at create, update and test (EMQX) and at every connect
 *       (Trellis); a connector loaded with a denied target is kept disabled with the reason.</li>
 *   <li>A republish action whose topic its own rule matches loops, as in EMQX 4; guard with
 *       WHERE (EMQX 5 marks republished messages; the broker seam does not carry that yet).</li>
 * </ul>
 */
package io.trellis.rules;
