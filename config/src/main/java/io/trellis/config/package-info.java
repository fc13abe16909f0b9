/**
 * Trellis configuration: the key schema ({@link io.trellis.config.Keys}, each key a
 * {@link io.trellis.config.KeyDef} with type, default, checks, doc and secrecy), EMQX's units
 * ({@link io.trellis.config.Units}), loading of etc/trellis.conf with TRELLIS_ environment
 * overrides ({@link io.trellis.config.TrellisConfig#load}, {@link io.trellis.config.EnvOverrides})
 * and the generated reference ({@link io.trellis.config.ReferenceGenerator}).
 */
package io.trellis.config;
