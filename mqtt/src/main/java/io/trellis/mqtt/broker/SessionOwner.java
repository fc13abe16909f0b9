package io.trellis.mqtt.broker;

/** The connection that owns a session; the broker asks it to leave (takeover, kick, shutdown). */
public interface SessionOwner {
    /** Any thread: disconnect with MQTT 5 reason 0x8E (session taken over). */
    void takenOver();

    /** Any thread: disconnect with MQTT 5 reason 0x98 (administrative action); the session is gone. */
    void kick();

    /** Any thread: disconnect with MQTT 5 reason 0x8B (server shutting down); completes when closed. */
    io.netty.util.concurrent.Future<?> shutdown();
}
