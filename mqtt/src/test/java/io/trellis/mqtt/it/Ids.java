package io.trellis.mqtt.it;

import java.util.concurrent.atomic.AtomicInteger;

/** Unique client ids and topics, so tests sharing one broker never see each other's traffic. */
final class Ids {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);

    private Ids() {
    }

    static String client(String what) {
        return what + "-" + RUN + "-" + COUNTER.incrementAndGet();
    }

    static String topic(String what) {
        return "it/" + RUN + "/" + what + "/" + COUNTER.incrementAndGet();
    }
}
