package io.trellis.security.authn;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a client presented when it connected: the input of every {@link Authenticator}.
 *
 * <p>{@code password} is the raw bytes of the CONNECT password field (MQTT passwords are binary),
 * or {@code null} when the client sent none. {@code username}, {@code certCommonName} and
 * {@code certSubjectDn} are {@code null} when absent. {@link #toString()} never shows the password.
 */
public record ConnectInfo(
    String clientId,
    String username,
    byte[] password,
    InetAddress peerAddress,
    String listenerId,
    String certCommonName,
    String certSubjectDn) {

  public ConnectInfo {
    Objects.requireNonNull(clientId, "clientId");
    password = password == null ? null : password.clone();
  }

  /** A copy of the password bytes, or {@code null} when the client sent no password. */
  @Override
  public byte[] password() {
    return password == null ? null : password.clone();
  }

  public boolean hasPassword() {
    return password != null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConnectInfo c
        && clientId.equals(c.clientId)
        && Objects.equals(username, c.username)
        && Arrays.equals(password, c.password)
        && Objects.equals(peerAddress, c.peerAddress)
        && Objects.equals(listenerId, c.listenerId)
        && Objects.equals(certCommonName, c.certCommonName)
        && Objects.equals(certSubjectDn, c.certSubjectDn);
  }

  @Override
  public int hashCode() {
    return Objects.hash(clientId, username, Arrays.hashCode(password), peerAddress, listenerId,
        certCommonName, certSubjectDn);
  }

  @Override
  public String toString() {
    return "ConnectInfo[clientId=" + clientId + ", username=" + username
        + ", password=" + (password == null ? "none" : "******")
        + ", peerAddress=" + (peerAddress == null ? null : peerAddress.getHostAddress())
        + ", listenerId=" + listenerId + ", certCommonName=" + certCommonName
        + ", certSubjectDn=" + certSubjectDn + "]";
  }
}
