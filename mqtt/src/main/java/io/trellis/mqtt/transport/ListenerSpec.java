package io.trellis.mqtt.transport;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;

/**
 * One MQTT listener to open, as EMQX names them: {@code listeners.<type>.<name>}.
 * CONTRACT: fields fixed (add, do not remove).
 *
 * @param type           tcp, ssl, ws or wss
 * @param name           the listener's name, e.g. "default"
 * @param bind           address and port; port 0 picks a free port (tests)
 * @param sslContext     server TLS context for ssl and wss, null otherwise
 * @param wsPath         HTTP path of the WebSocket upgrade for ws and wss, e.g. "/mqtt"
 * @param maxConnections connections above this are refused at accept; Integer.MAX_VALUE = infinity
 */
public record ListenerSpec(Type type, String name, InetSocketAddress bind, SslContext sslContext,
                           String wsPath, int maxConnections) {

    public enum Type {
        TCP("tcp"), SSL("ssl"), WS("ws"), WSS("wss");

        private final String id;

        Type(String id) {
            this.id = id;
        }

        /** EMQX's name of the type, as in {@code listeners.ssl.default}. */
        public String id() {
            return id;
        }

        public boolean tls() {
            return this == SSL || this == WSS;
        }

        public boolean websocket() {
            return this == WS || this == WSS;
        }
    }

    /** {@code tcp:default}, as EMQX's API names a listener. */
    public String id() {
        return type.id() + ":" + name;
    }
}
