/**
 * Client authentication: the {@link io.trellis.security.authn.AuthenticationChain} of
 * {@link io.trellis.security.authn.Authenticator}s with EMQX's allow / deny / ignore semantics,
 * EMQX-compatible {@link io.trellis.security.authn.PasswordHashing}, and the built-in user
 * database with EMQX's CSV/JSON import. Nothing here logs a password, hash or salt.
 */
package io.trellis.security.authn;
