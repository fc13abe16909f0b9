package io.trellis.rules.connector;

import java.util.Locale;

/**
 * A connector's state as EMQX reports it ({@code connected}, {@code connecting},
 * {@code disconnected}, {@code disabled}) with the reason for the last change, or null.
 */
public record ConnectorStatus(State state, String reason) {

    public enum State {
        CONNECTED, CONNECTING, DISCONNECTED, DISABLED;

        public String apiName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static ConnectorStatus of(State state) {
        return new ConnectorStatus(state, null);
    }
}
