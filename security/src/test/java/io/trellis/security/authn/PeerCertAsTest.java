package io.trellis.security.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PeerCertAsTest {

  private static final ConnectInfo WITH_CERT = new ConnectInfo("c1", "claimed", null, null,
      "ssl:default", "device-7", "CN=device-7,O=Acme");
  private static final ConnectInfo NO_CERT =
      new ConnectInfo("c1", "admin", null, null, "ssl:default", null, null);

  @Test
  void certificateFieldsReplaceTheConnectFields() {
    assertThat(PeerCertAs.CN.applyToUsername(WITH_CERT).username()).isEqualTo("device-7");
    assertThat(PeerCertAs.DN.applyToUsername(WITH_CERT).username()).isEqualTo("CN=device-7,O=Acme");
    assertThat(PeerCertAs.CN.applyToClientId(WITH_CERT).clientId()).isEqualTo("device-7");
    assertThat(PeerCertAs.DISABLED.applyToUsername(WITH_CERT)).isSameAs(WITH_CERT);
  }

  @Test
  void withoutACertificateTheClaimedUsernameIsDropped() {
    assertThat(PeerCertAs.CN.applyToUsername(NO_CERT).username()).isNull();
    assertThat(PeerCertAs.CN.applyToClientId(NO_CERT).clientId()).isEqualTo("c1");
  }

  @Test
  void configValues() {
    assertThat(PeerCertAs.fromConfig("cn", "listeners.ssl.default.peer_cert_as_username"))
        .isEqualTo(PeerCertAs.CN);
    assertThatThrownBy(() -> PeerCertAs.fromConfig("md5", "listeners.ssl.default.peer_cert_as_username"))
        .hasMessageContaining("listeners.ssl.default.peer_cert_as_username")
        .hasMessageContaining("not supported yet");
    assertThatThrownBy(() -> PeerCertAs.fromConfig("cname", "k"))
        .hasMessage("k: unknown value 'cname'; use one of disabled | cn | dn");
  }
}
