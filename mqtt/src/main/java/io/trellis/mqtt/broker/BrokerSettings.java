package io.trellis.mqtt.broker;

import java.time.Duration;

/**
 * The broker's behaviour, one field per EMQX {@code mqtt.*} key (the server maps config keys to
 * these). Immutable; {@link #defaults()} gives EMQX's defaults. CONTRACT: add fields, do not remove.
 * A duration of {@link #INFINITY} means no limit.
 */
public record BrokerSettings(
        String nodeName,
        int maxPacketSize,              // mqtt.max_packet_size, bytes (1MB)
        int maxClientIdLen,             // mqtt.max_clientid_len (65535)
        int maxTopicLevels,             // mqtt.max_topic_levels (128)
        int maxQosAllowed,              // mqtt.max_qos_allowed (2)
        int maxTopicAlias,              // mqtt.max_topic_alias (65535)
        boolean retainAvailable,        // mqtt.retain_available (true)
        boolean wildcardSubscription,   // mqtt.wildcard_subscription (true)
        boolean sharedSubscription,     // mqtt.shared_subscription (true)
        boolean ignoreLoopDeliver,      // mqtt.ignore_loop_deliver (false)
        Duration idleTimeout,           // mqtt.idle_timeout: CONNECT must arrive within (15s)
        double keepaliveMultiplier,     // mqtt.keepalive_multiplier (1.5)
        int serverKeepalive,            // mqtt.server_keepalive, seconds; 0 = disabled (use client's)
        Duration sessionExpiryInterval, // mqtt.session_expiry_interval: cap for 3.1.1 persistent sessions (2h)
        int maxInflight,                // mqtt.max_inflight (32)
        Duration retryInterval,         // mqtt.retry_interval (30s)
        int maxAwaitingRel,             // mqtt.max_awaiting_rel (100)
        Duration awaitRelTimeout,       // mqtt.await_rel_timeout (300s)
        int maxMqueueLen,               // mqtt.max_mqueue_len (1000); full queue drops the oldest
        boolean mqueueStoreQos0,        // mqtt.mqueue_store_qos0 (true)
        boolean upgradeQos,             // mqtt.upgrade_qos (false)
        String sharedSubscriptionStrategy, // mqtt.shared_subscription_strategy: random | round_robin | hash_clientid | hash_topic | sticky (round_robin)
        long maxSendQueueBytes,         // bytes queued in a connection's write buffer before a slow reader is cut (16MB)
        int eventLoopThreads) {         // I/O threads for the listeners; 0 = one per core

    /** The original 23-field form (event loop threads = one per core), kept for callers of the contract. */
    public BrokerSettings(String nodeName, int maxPacketSize, int maxClientIdLen, int maxTopicLevels,
                          int maxQosAllowed, int maxTopicAlias, boolean retainAvailable, boolean wildcardSubscription,
                          boolean sharedSubscription, boolean ignoreLoopDeliver, Duration idleTimeout,
                          double keepaliveMultiplier, int serverKeepalive, Duration sessionExpiryInterval,
                          int maxInflight, Duration retryInterval, int maxAwaitingRel, Duration awaitRelTimeout,
                          int maxMqueueLen, boolean mqueueStoreQos0, boolean upgradeQos,
                          String sharedSubscriptionStrategy, long maxSendQueueBytes) {
        this(nodeName, maxPacketSize, maxClientIdLen, maxTopicLevels, maxQosAllowed, maxTopicAlias, retainAvailable,
                wildcardSubscription, sharedSubscription, ignoreLoopDeliver, idleTimeout, keepaliveMultiplier,
                serverKeepalive, sessionExpiryInterval, maxInflight, retryInterval, maxAwaitingRel, awaitRelTimeout,
                maxMqueueLen, mqueueStoreQos0, upgradeQos, sharedSubscriptionStrategy, maxSendQueueBytes, 0);
    }

    public static final Duration INFINITY = Duration.ofSeconds(Long.MAX_VALUE);

    public static BrokerSettings defaults() {
        return new BrokerSettings("trellis@127.0.0.1", 1024 * 1024, 65535, 128, 2, 65535, true, true, true,
                false, Duration.ofSeconds(15), 1.5, 0, Duration.ofHours(2), 32, Duration.ofSeconds(30), 100,
                Duration.ofSeconds(300), 1000, true, false, "round_robin", 16L * 1024 * 1024);
    }
}
