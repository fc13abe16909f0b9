package io.trellis.server.cli;

/**
 * The exit codes of {@code bin/trellis}:
 * <ul>
 * <li>0: success; {@code start} also exits 0 when stopped by SIGTERM or Ctrl-C</li>
 * <li>1: failure: bad config, the node cannot start (port in use, bad TLS files), node not
 * running, the API refused or answered an error (unknown client id, ...)</li>
 * <li>2: usage error: unknown command or option, missing argument</li>
 * </ul>
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    private ExitCodes() {
    }
}
