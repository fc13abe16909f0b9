package io.trellis.server;

import io.trellis.server.cli.TrellisCommand;

/** Entry point of bin/trellis. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(TrellisCommand.run(args, System.getenv()));
    }
}
