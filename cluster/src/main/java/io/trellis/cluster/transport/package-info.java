/** Pipeline assembly shared by both inter-node channels; the place where TLS slots in. */
package io.trellis.cluster.transport;
