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

  // Every action there can be, made once: the publish path asks for one per message.
  private static final AuthzAction[] PUBLISH = {
    new AuthzAction(Type.PUBLISH, 0, false), new AuthzAction(Type.PUBLISH, 0, true),
    new AuthzAction(Type.PUBLISH, 1, false), new AuthzAction(Type.PUBLISH, 1, true),
    new AuthzAction(Type.PUBLISH, 2, false), new AuthzAction(Type.PUBLISH, 2, true)};
  private static final AuthzAction[] SUBSCRIBE = {
    new AuthzAction(Type.SUBSCRIBE, 0, false), new AuthzAction(Type.SUBSCRIBE, 1, false),
    new AuthzAction(Type.SUBSCRIBE, 2, false)};

  public static AuthzAction publish(int qos, boolean retain) {
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("qos must be 0, 1 or 2, got " + qos);
    }
    return PUBLISH[qos * 2 + (retain ? 1 : 0)];
  }

  public static AuthzAction subscribe(int qos) {
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("qos must be 0, 1 or 2, got " + qos);
    }
    return SUBSCRIBE[qos];
  }
}
