package io.trellis.security.authn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.security.authz.JwtAcl;
import io.trellis.security.authz.JwtAclStore;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * EMQX's {@code mechanism = jwt}: the client presents a JSON Web Token (JWS compact form) in its
 * password or username ({@code from}), signed with HS256/384/512 (a shared secret), RS256/384/512
 * or ES256/384/512 (a public key, or the keys of a JWKS endpoint).
 *
 * <p>Verification is done here with the JDK's {@code Mac} and {@code Signature} and Jackson for
 * the JSON: the whole of it is a few checks, and doing it by hand keeps the algorithm list closed
 * (no {@code none}, no algorithm chosen by the token against the key's type) and keeps the JWKS
 * fetch on the SSRF-guarded client.
 *
 * <p>Outcomes, as in EMQX: no token, a token that is not a well-formed JWS, an unknown or refused
 * algorithm ({@code none}, HS with a public key, ...) or a signature no key verifies are
 * {@code ignore} (another authenticator may know the token; with none, the chain denies). A
 * verified token that has expired ({@code exp}, always checked when present), is not yet valid
 * ({@code nbf}), lacks a claim of {@code verify_claims} or has a different value there, or
 * carries a malformed {@code acl} claim is {@code deny}. Otherwise {@code allow}, with
 * {@code is_superuser} from the claim of that name.
 *
 * <p>{@link #verify} also returns the token's expiry (the broker disconnects the client then,
 * EMQX's {@code disconnect_after_expire}) and its ACL claim, which is recorded in the
 * {@link JwtAclStore} given at construction for the authorizer to consult.
 */
public final class JwtAuthenticator implements Authenticator, AutoCloseable {

  /** EMQX's {@code from}. */
  public enum From {
    PASSWORD, USERNAME;

    public static From fromConfig(String value, String key) {
      return ConfigNames.parse(From.class, value, key);
    }
  }

  /** What a login with a token gave: the verdict, the expiry and ACL of an accepted token. */
  public record Outcome(AuthnResult result, Instant expiresAt, JwtAcl acl) {
    static Outcome of(AuthnResult result) {
      return new Outcome(result, null, null);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(username|clientid)}");

  private final From from;
  private final JwtKeySource keys;
  private final Map<String, String> verifyClaims;
  private final String aclClaimName;
  private final JwtAclStore aclStore;
  private final Clock clock;
  private final boolean disconnectAfterExpire;
  private final Jwks ownedJwks;

  /**
   * @param verifyClaims claim name to expected value, with {@code ${username}} and
   *     {@code ${clientid}} placeholders
   * @param aclClaimName EMQX's {@code acl_claim_name}, {@code acl} by default
   * @param aclStore where accepted tokens' ACLs go, or {@code null} to keep them only in
   *     {@link Outcome}
   */
  public JwtAuthenticator(String keyPrefix, From from, JwtKeySource keys,
      Map<String, String> verifyClaims, String aclClaimName, JwtAclStore aclStore, Clock clock) {
    this(keyPrefix, from, keys, verifyClaims, aclClaimName, aclStore, clock, true, null);
  }

  /**
   * As above, with EMQX's {@code disconnect_after_expire} and a key set this authenticator
   * closes (see {@link JwtSettings#build}).
   */
  JwtAuthenticator(String keyPrefix, From from, JwtKeySource keys,
      Map<String, String> verifyClaims, String aclClaimName, JwtAclStore aclStore, Clock clock,
      boolean disconnectAfterExpire, Jwks ownedJwks) {
    this.disconnectAfterExpire = disconnectAfterExpire;
    this.ownedJwks = ownedJwks;
    this.from = Objects.requireNonNull(from, keyPrefix + ".from");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.verifyClaims = verifyClaims == null ? Map.of() : new LinkedHashMap<>(verifyClaims);
    this.verifyClaims.forEach((claim, expected) -> {
      Matcher m = Pattern.compile("\\$\\{([^}]*)}").matcher(expected == null ? "" : expected);
      while (m.find()) {
        if (!m.group(1).equals("username") && !m.group(1).equals("clientid")) {
          throw new IllegalArgumentException(keyPrefix + ".verify_claims." + claim
              + ": unknown placeholder ${" + m.group(1) + "}; use ${username} or ${clientid}");
        }
      }
    });
    this.aclClaimName = aclClaimName == null || aclClaimName.isBlank() ? "acl" : aclClaimName;
    this.aclStore = aclStore;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public String id() {
    return "jwt";
  }

  /**
   * EMQX's {@code disconnect_after_expire} (default true): the broker closes a client's
   * connection at its token's {@link Outcome#expiresAt()}.
   */
  public boolean disconnectAfterExpire() {
    return disconnectAfterExpire;
  }

  /** Stops the JWKS refresh when this authenticator fetches its keys. */
  @Override
  public void close() {
    if (ownedJwks != null) {
      ownedJwks.close();
    }
  }

  @Override
  public AuthnResult authenticate(ConnectInfo connect) {
    return verify(connect).result();
  }

  /** The verdict with the token's expiry and ACL; records the ACL in the store on allow. */
  public Outcome verify(ConnectInfo connect) {
    String token = switch (from) {
      case PASSWORD -> connect.hasPassword()
          ? new String(connect.password(), StandardCharsets.UTF_8) : null;
      case USERNAME -> connect.username();
    };
    if (token == null || token.isEmpty()) {
      return Outcome.of(AuthnResult.IGNORE);
    }
    JsonNode claims = verifiedClaims(token);
    if (claims == null) {
      return Outcome.of(AuthnResult.IGNORE);
    }
    Instant now = clock.instant();
    Instant expiresAt = null;
    JsonNode exp = claims.get("exp");
    if (exp != null) {
      if (!exp.isNumber()) {
        return Outcome.of(AuthnResult.deny("JWT exp claim is not a number"));
      }
      expiresAt = Instant.ofEpochSecond(exp.asLong());
      if (!now.isBefore(expiresAt)) {
        return Outcome.of(AuthnResult.deny("JWT expired"));
      }
    }
    JsonNode nbf = claims.get("nbf");
    if (nbf != null && (!nbf.isNumber() || now.isBefore(Instant.ofEpochSecond(nbf.asLong())))) {
      return Outcome.of(AuthnResult.deny("JWT not valid yet (nbf)"));
    }
    for (Map.Entry<String, String> check : verifyClaims.entrySet()) {
      String expected = render(check.getValue(), connect);
      JsonNode actual = claims.get(check.getKey());
      String actualText = actual == null || actual.isNull() ? null
          : actual.isValueNode() ? actual.asText() : actual.toString();
      if (expected == null || !expected.equals(actualText)) {
        return Outcome.of(AuthnResult.deny("JWT claim '" + check.getKey()
            + "' does not match verify_claims"));
      }
    }
    JwtAcl acl = null;
    JsonNode aclClaim = claims.get(aclClaimName);
    if (aclClaim != null && !aclClaim.isNull()) {
      try {
        acl = JwtAcl.parse(aclClaim, expiresAt);
      } catch (IllegalArgumentException e) {
        return Outcome.of(AuthnResult.deny("JWT " + aclClaimName + " claim is malformed: "
            + e.getMessage()));
      }
    }
    if (aclStore != null) {
      aclStore.record(connect.clientId(), acl);
    }
    boolean superuser = HttpAuthenticator.truthy(claims.path("is_superuser"));
    return new Outcome(AuthnResult.allow(superuser), expiresAt, acl);
  }

  /** One pass, so a username that looks like "${clientid}" is not expanded again. */
  private static String render(String template, ConnectInfo c) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = m.group(1).equals("username") ? c.username() : c.clientId();
      if (v == null) {
        return null;
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The claims of a token whose signature a key verifies, or null. */
  JsonNode verifiedClaims(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || parts[2].isEmpty()) {
      return null; // not a JWS compact token, or unsigned ("alg": "none" has no signature)
    }
    JsonNode header;
    JsonNode claims;
    byte[] signature;
    try {
      Base64.Decoder b64 = Base64.getUrlDecoder();
      header = JSON.readTree(b64.decode(parts[0]));
      claims = JSON.readTree(b64.decode(parts[1]));
      signature = b64.decode(parts[2]);
    } catch (Exception e) {
      return null;
    }
    if (header == null || !header.isObject() || claims == null || !claims.isObject()
        || header.has("crit")) {
      return null; // crit: extensions this verifier does not understand must fail (RFC 7515)
    }
    String alg = header.path("alg").asText("");
    if (algorithm(alg) == null) {
      return null; // none, or anything not on the closed list
    }
    String kid = header.hasNonNull("kid") ? header.get("kid").asText() : null;
    byte[] signingInput = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
    for (Key key : keys.candidates(alg, kid)) {
      if (fits(alg, key) && verifies(alg, key, signingInput, signature)) {
        return claims;
      }
    }
    return null;
  }

  /** The JCA algorithm of a JWS {@code alg} on the closed list, or null. */
  private static String algorithm(String alg) {
    return switch (alg) {
      case "HS256" -> "HmacSHA256";
      case "HS384" -> "HmacSHA384";
      case "HS512" -> "HmacSHA512";
      case "RS256" -> "SHA256withRSA";
      case "RS384" -> "SHA384withRSA";
      case "RS512" -> "SHA512withRSA";
      case "ES256" -> "SHA256withECDSAinP1363Format";
      case "ES384" -> "SHA384withECDSAinP1363Format";
      case "ES512" -> "SHA512withECDSAinP1363Format";
      default -> null;
    };
  }

  /** Whether {@code key}'s type is the one {@code alg} needs (the algorithm-confusion guard). */
  static boolean fits(String alg, Key key) {
    if (alg.startsWith("HS")) {
      return key instanceof SecretKey;
    }
    if (alg.startsWith("RS")) {
      return key instanceof RSAPublicKey;
    }
    if (key instanceof ECPublicKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      return switch (alg) {
        case "ES256" -> bits == 256;
        case "ES384" -> bits == 384;
        case "ES512" -> bits == 521;
        default -> false;
      };
    }
    return false;
  }

  private static boolean verifies(String alg, Key key, byte[] input, byte[] signature) {
    String jca = algorithm(alg);
    try {
      if (key instanceof SecretKey secret) {
        Mac mac = Mac.getInstance(jca);
        mac.init(secret);
        return MessageDigest.isEqual(mac.doFinal(input), signature); // constant time
      }
      Signature sig = Signature.getInstance(jca);
      sig.initVerify((PublicKey) key);
      sig.update(input);
      return sig.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** For messages: the algorithms accepted. */
  public static List<String> algorithms() {
    return List.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384",
        "ES512");
  }

  @Override
  public String toString() {
    return "JwtAuthenticator[from=" + from.name().toLowerCase(Locale.ROOT) + "]";
  }
}
