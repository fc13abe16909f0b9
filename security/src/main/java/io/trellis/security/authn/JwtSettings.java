package io.trellis.security.authn;

import io.trellis.config.Secret;
import io.trellis.security.authz.JwtAclStore;
import io.trellis.security.http.OutboundHttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * One {@code mechanism = jwt} entry of {@code authentication}, with EMQX's field names:
 * {@code use_jwks}, {@code algorithm = hmac-based | public-key}, {@code secret},
 * {@code secret_base64_encoded}, {@code public_key}, {@code endpoint}, {@code refresh_interval},
 * {@code from}, {@code acl_claim_name}, {@code disconnect_after_expire}, {@code verify_claims}.
 * {@code toString()} hides the secret (a {@link Secret}).
 */
public record JwtSettings(boolean useJwks, String algorithm, Secret secret,
    boolean secretBase64Encoded, String publicKey, String endpoint, Duration refreshInterval,
    String from, String aclClaimName, boolean disconnectAfterExpire,
    Map<String, String> verifyClaims) {

  /**
   * The authenticator these settings describe. With {@code use_jwks = true} the key set is
   * fetched now and every {@code refresh_interval}; close the authenticator to stop that.
   *
   * @param keyPrefix how errors name this entry, e.g. {@code authentication[2]}
   * @throws IllegalArgumentException naming the field to fix (a missing secret, public key or
   *     endpoint; an endpoint the SSRF policy refuses; ...), never showing the secret
   */
  public JwtAuthenticator build(String keyPrefix, OutboundHttpClient client,
      JwtAclStore aclStore, Clock clock) {
    JwtKeySource keys;
    Jwks jwks = null;
    if (useJwks) {
      if (endpoint == null || endpoint.isBlank()) {
        throw new IllegalArgumentException(keyPrefix + ".endpoint: missing; use_jwks = true needs"
            + " the JWKS URL");
      }
      if (client == null) {
        throw new IllegalArgumentException(keyPrefix + ": use_jwks needs an outbound HTTP client");
      }
      jwks = new Jwks(keyPrefix, endpoint, refreshInterval, client);
      keys = jwks;
    } else {
      String alg = algorithm == null ? "hmac-based" : algorithm.trim();
      keys = switch (alg) {
        case "hmac-based" -> {
          if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException(keyPrefix + ".secret: missing; algorithm ="
                + " hmac-based needs the shared secret");
          }
          yield JwtKeySource.hmac(keyPrefix + ".secret", secret.reveal(), secretBase64Encoded);
        }
        case "public-key" -> JwtKeySource.publicKey(keyPrefix + ".public_key", publicKey);
        default -> throw new IllegalArgumentException(keyPrefix + ".algorithm: unknown value '"
            + algorithm + "'; use hmac-based or public-key");
      };
    }
    JwtAuthenticator.From f = JwtAuthenticator.From.fromConfig(
        from == null ? "password" : from, keyPrefix + ".from");
    JwtAuthenticator auth = new JwtAuthenticator(keyPrefix, f, keys, verifyClaims, aclClaimName,
        aclStore, clock, disconnectAfterExpire, jwks);
    if (jwks != null) {
      jwks.start();
    }
    return auth;
  }
}
