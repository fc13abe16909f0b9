/**
 * The node's side of the cluster config log (io.trellis.cluster.conf): opening it under
 * node.data_dir/cluster-conf, its status endpoint and CLI.
 */
package io.trellis.server.conf;
