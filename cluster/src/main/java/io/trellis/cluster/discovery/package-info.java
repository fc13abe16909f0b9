/** Finding the nodes to join at start: {@code cluster.discovery_strategy = static | dns}. */
package io.trellis.cluster.discovery;
