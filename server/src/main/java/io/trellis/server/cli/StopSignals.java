package io.trellis.server.cli;

/**
 * Turns SIGTERM and SIGINT into a clean stop with exit code 0, as an operator expects of Ctrl-C
 * (the JVM's default is to exit 143 / 130 after the shutdown hooks). Uses sun.misc.Signal from
 * jdk.unsupported; where that is unavailable the shutdown hook still closes the node.
 */
final class StopSignals {
    private StopSignals() {
    }

    static void onStop(Runnable stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.run());
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError unavailable) {
                // e.g. INT ignored when run in the background: the shutdown hook remains
            }
        }
    }
}
