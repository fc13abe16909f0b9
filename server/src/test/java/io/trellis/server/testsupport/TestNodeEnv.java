package io.trellis.server.testsupport;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The env overrides every in-JVM test node starts from: loopback binds, TLS and websocket listeners off. */
public final class TestNodeEnv {
    private TestNodeEnv() {
    }

    /** A port free right now, for a node that must come back on the same port after a restart. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Node {@code name} with its data in {@code dataDir}, MQTT tcp and API on 127.0.0.1 at the given
     * ports (0: any free one), ssl, ws and wss listeners off. A mutable map: callers add what differs.
     */
    public static Map<String, String> loopback(String name, Path dataDir, int tcpPort, int apiPort) {
        Map<String, String> env = new HashMap<>();
        env.put("TRELLIS_NODE__NAME", name);
        env.put("TRELLIS_NODE__DATA_DIR", dataDir.toString());
        env.put("TRELLIS_LISTENERS__TCP__DEFAULT__BIND", "127.0.0.1:" + tcpPort);
        env.put("TRELLIS_LISTENERS__SSL__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_LISTENERS__WS__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_LISTENERS__WSS__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND", "127.0.0.1:" + apiPort);
        return env;
    }
}
