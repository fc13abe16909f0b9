package io.trellis.security.authz;

/**
 * What the client wants to do: publish (with the message's QoS and retain flag) or subscribe (with
 * the requested QoS; retain is false).
 */
public record AuthzAction(Type type, int qos, boolean retain) {

  public enum Type { PUBLISH, SUBSCRIBE }

  public AuthzAction {
    if (type == null) {
      throw new IllegalArgumentException("type must be publish or subscribe");
    }
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("qos must be 0, 1 or 2, got " + qos);
    }
    if (type == Type.SUBSCRIBE && retain) {
      throw new IllegalArgumentException("a subscribe action has no retain flag");
    }
  }

  public static AuthzAction publish(int qos, boolean retain) {
    return new AuthzAction(Type.PUBLISH, qos, retain);
  }

  public static AuthzAction subscribe(int qos) {
    return new AuthzAction(Type.SUBSCRIBE, qos, false);
  }
}
