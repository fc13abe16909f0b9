/**
 * The SSRF policy for outbound connections ({@code rule_engine.ssrf}) and its enforcement.
 *
 * <ul>
 *   <li>{@link io.trellis.security.ssrf.SsrfPolicy}: the policy, a pure function; configuration-time
 *       checks of a connector's {@code url} or {@code server} with EMQX's precedence and texts.</li>
 *   <li>{@link io.trellis.security.ssrf.SsrfGuard}: connect-time check that resolves once and
 *       returns the exact addresses to dial; {@link io.trellis.security.ssrf.SsrfAddressResolverGroup}
 *       applies it to a Netty client {@code Bootstrap}.</li>
 *   <li>{@link io.trellis.security.ssrf.SsrfPolicyHolder}: the current policy, swapped without
 *       restart.</li>
 * </ul>
 *
 * <p><b>{@code java.net.http.HttpClient} is not covered.</b> It resolves host names internally
 * and offers no resolver hook, so a check before {@code send} leaves a second look-up that DNS
 * rebinding can win, and it follows redirects to hosts nobody checked when redirects are on.
 * Rewriting the URL to the checked IP literal is not a fix either: the {@code Host} header is
 * restricted and TLS would then verify the certificate against the IP. Outbound HTTP in Trellis
 * (webhook connector, HTTP authentication and authorization backends, JWKS) therefore goes through
 * {@link io.trellis.security.http.OutboundHttpClient}, which dials through Netty with
 * {@link io.trellis.security.ssrf.SsrfAddressResolverGroup}. Where a {@code HttpClient} is used
 * anyway, check with the policy, keep {@code Redirect.NEVER}, and rely on an egress firewall for
 * rebinding.
 *
 * <p>Proxies: when a client dials through an HTTP or SOCKS proxy, the guard sees the proxy's
 * address, not the target's; a connector that supports proxies must check its target with the
 * policy and resolve it through the guard itself.
 */
package io.trellis.security.ssrf;
