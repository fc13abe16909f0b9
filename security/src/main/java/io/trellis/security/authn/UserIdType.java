package io.trellis.security.authn;

import java.util.Locale;

/** Which CONNECT field names the user in the built-in database ({@code user_id_type}). */
public enum UserIdType {
  USERNAME, CLIENTID;

  /** The client's user id of this type, or {@code null} when the client sent none. */
  public String of(ConnectInfo connect) {
    return this == USERNAME ? connect.username() : connect.clientId();
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static UserIdType fromConfig(String name) {
    return ConfigNames.parse(UserIdType.class, name, "user_id_type");
  }
}
