package io.trellis.security.ssrf;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of an SSRF check: a value, never an exception, so that the management API can
 * answer 400 with {@link #message()} and a connector created from the config file can stay
 * disabled with the reason in its status.
 */
public sealed interface SsrfDecision {

    /** True when the target may be configured (or, at connect time, dialled). */
    boolean passes();

    /** A sentence for an operator. */
    String message();

    /**
     * The target passes. {@code addresses} are the addresses that were checked (empty when the
     * policy is disabled, since nothing is looked up then).
     */
    record Allowed(String host, List<InetAddress> addresses) implements SsrfDecision {
        public Allowed {
            Objects.requireNonNull(host, "host");
            addresses = List.copyOf(addresses);
        }

        @Override
        public boolean passes() {
            return true;
        }

        @Override
        public String message() {
            return "Allowed: " + host;
        }
    }

    /**
     * The name did not resolve when checked. It passes (as in EMQX, so that a transient DNS
     * failure does not block a configuration change), with this warning: a host that does not
     * resolve at connect time is never dialled, and one that resolves then is checked then.
     */
    record Unresolved(String host, String warning) implements SsrfDecision {
        public Unresolved {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(warning, "warning");
        }

        @Override
        public boolean passes() {
            return true;
        }

        @Override
        public String message() {
            return warning;
        }
    }

    /**
     * The policy refuses the target. {@code reason} is EMQX's text; {@code key} is the
     * configuration key an operator would change to allow it.
     */
    record Denied(String host, String reason, String key) implements SsrfDecision {
        public Denied {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean passes() {
            return false;
        }

        @Override
        public String message() {
            return reason;
        }
    }

    /**
     * The target is not a well-formed URL, server or host, whatever the policy says.
     * {@code field} names the connector field to fix ({@code url}, {@code server}, {@code host}).
     */
    record Invalid(String field, String reason) implements SsrfDecision {
        public Invalid {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public boolean passes() {
            return false;
        }

        @Override
        public String message() {
            return reason;
        }
    }
}
