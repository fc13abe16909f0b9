package io.trellis.security.authn;

import java.util.Locale;

/** Parses EMQX's lower-case enum values, with an error naming the key and the accepted values. */
final class ConfigNames {

  private ConfigNames() {}

  static <E extends Enum<E>> E parse(Class<E> type, String value, String key) {
    if (value != null) {
      for (E e : type.getEnumConstants()) {
        if (e.name().equalsIgnoreCase(value.trim())) {
          return e;
        }
      }
    }
    StringBuilder accepted = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      accepted.append(accepted.length() == 0 ? "" : " | ").append(e.name().toLowerCase(Locale.ROOT));
    }
    throw new IllegalArgumentException(
        key + ": unknown value '" + value + "'; use one of " + accepted);
  }
}
