package io.trellis.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Node-name offsets for tests: cluster ports follow 4370 + N and 5370 + N, so tests pick a random
 * large N whose ports are free now, away from the defaults real nodes and other runs use.
 */
final class ClusterPorts {
    private ClusterPorts() {
    }

    /** A random N in [20000, 59000) with 4370 + N .. 4370 + N + count - 1 and the 5370 + ... ports free. */
    static int freeOffsets(int count) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int n = ThreadLocalRandom.current().nextInt(20_000, 59_000);
            boolean free = true;
            for (int i = 0; i < count && free; i++) {
                free = isFree(4370 + n + i) && isFree(5370 + n + i);
            }
            if (free) {
                return n;
            }
        }
        throw new IllegalStateException("no free cluster ports found in 100 attempts");
    }

    static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
