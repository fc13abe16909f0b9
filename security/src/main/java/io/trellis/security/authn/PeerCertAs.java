package io.trellis.security.authn;

import java.util.Locale;

/**
 * A listener's {@code peer_cert_as_username} / {@code peer_cert_as_clientid}: replace the CONNECT
 * field with the verified TLS client certificate's common name ({@code cn}) or subject DN
 * ({@code dn}) before authentication, or leave it ({@code disabled}, the default). EMQX's other
 * forms ({@code crt}, {@code pem}, {@code md5}) are not supported yet and are refused by name.
 */
public enum PeerCertAs {
  DISABLED, CN, DN;

  public static PeerCertAs fromConfig(String value, String key) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("crt") || v.equals("pem") || v.equals("md5")) {
      throw new IllegalArgumentException(key + ": '" + v + "' is not supported yet; use"
          + " disabled, cn or dn");
    }
    return ConfigNames.parse(PeerCertAs.class, value, key);
  }

  /**
   * The connect info with the username replaced as configured. Without a certificate value (no
   * client certificate) the field becomes null, so a client cannot choose its own name by leaving
   * the certificate out.
   */
  public ConnectInfo applyToUsername(ConnectInfo c) {
    if (this == DISABLED) {
      return c;
    }
    return new ConnectInfo(c.clientId(), certValue(c), c.password(), c.peerAddress(),
        c.listenerId(), c.certCommonName(), c.certSubjectDn());
  }

  /** As {@link #applyToUsername}, for the client id; without a certificate value it is kept. */
  public ConnectInfo applyToClientId(ConnectInfo c) {
    String value = certValue(c);
    if (this == DISABLED || value == null) {
      return c;
    }
    return new ConnectInfo(value, c.username(), c.password(), c.peerAddress(), c.listenerId(),
        c.certCommonName(), c.certSubjectDn());
  }

  private String certValue(ConnectInfo c) {
    return switch (this) {
      case DISABLED -> null;
      case CN -> c.certCommonName();
      case DN -> c.certSubjectDn();
    };
  }
}
