package io.trellis.config;

/**
 * One config key, defined once: path, type, default, doc, secrecy (EMQX's schema, Kafka's
 * ConfigDef). A path may hold a {@code {name}} segment for named instances, e.g.
 * {@code listeners.tcp.{name}.bind}. CONTRACT: the accessors are fixed; the key set lives in
 * {@link Keys}.
 *
 * @param <T> the Java type of the value: String, Integer, Long (byte sizes), Double, Boolean,
 *            java.time.Duration ({@code Keys.INFINITY} for "infinity"), List&lt;String&gt;,
 *            {@link Secret}, java.net.InetSocketAddress (binds), java.nio.file.Path
 */
public interface ConfigKey<T> {
    /** Dotted path, e.g. {@code mqtt.max_packet_size}. */
    String path();

    /** The default, or null when the key has none (optional or required). */
    T defaultValue();

    /** One or two sentences for the generated reference. */
    String doc();

    /** Secret values print as ****** everywhere. */
    boolean secret();
}
