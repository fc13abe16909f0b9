package io.trellis.mqtt.auth;

import java.util.Objects;

/**
 * The answer to a CONNECT: accepted (possibly as a superuser) or refused with one of the reasons
 * MQTT can express. {@code reason} is for the log and never carries a password or a hash.
 */
public record ConnectDecision(Outcome outcome, boolean superuser, String reason) {

    public enum Outcome {
        /** Accepted. */
        ALLOWED,
        /** An authenticator denied the credentials: CONNACK 0x04 (3.1.1) / 0x86 (5). */
        BAD_CREDENTIALS,
        /** No authenticator accepted the client (anonymous, unknown user): 0x05 / 0x87. */
        NOT_AUTHORIZED,
        /** The client id, username or address is banned: 0x05 (3.1.1) / 0x8A (5). */
        BANNED
    }

    public ConnectDecision {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
    }

    public static ConnectDecision allowed(boolean superuser) {
        return new ConnectDecision(Outcome.ALLOWED, superuser, "allowed");
    }

    public static ConnectDecision refused(Outcome outcome, String reason) {
        if (outcome == Outcome.ALLOWED) throw new IllegalArgumentException("a refusal needs a refusing outcome");
        return new ConnectDecision(outcome, false, reason);
    }

    public boolean isAllowed() {
        return outcome == Outcome.ALLOWED;
    }
}
