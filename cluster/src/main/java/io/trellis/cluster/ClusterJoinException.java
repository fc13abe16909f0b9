package io.trellis.cluster;

/** A join that failed, with the cause in an operator's words; never contains the cookie. CONTRACT. */
public final class ClusterJoinException extends Exception {
    public ClusterJoinException(String message) {
        super(message, null, false, false);
    }
}
