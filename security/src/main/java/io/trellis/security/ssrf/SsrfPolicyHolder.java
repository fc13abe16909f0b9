package io.trellis.security.ssrf;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The node's current policy. A change (from the cluster config log, the API or a reload) is a
 * {@link #set}; the next check and the next connect see it, without restart. Connections already
 * open are not closed by a change, but {@link io.trellis.security.http.OutboundHttpClient} never
 * reuses a pooled connection made under an older policy: it closes its idle ones at its next
 * request and dials (and checks) afresh.
 */
public final class SsrfPolicyHolder implements Supplier<SsrfPolicy> {

    private final AtomicReference<SsrfPolicy> current;

    public SsrfPolicyHolder(SsrfPolicy initial) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    }

    @Override
    public SsrfPolicy get() {
        return current.get();
    }

    /** @return the policy it replaced */
    public SsrfPolicy set(SsrfPolicy policy) {
        return current.getAndSet(Objects.requireNonNull(policy, "policy"));
    }
}
