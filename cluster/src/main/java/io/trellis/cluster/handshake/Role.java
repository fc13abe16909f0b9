package io.trellis.cluster.handshake;

/** The side of a connection; its label is part of each proof's MAC input, so a proof cannot be reflected. */
public enum Role {
    /** The side that connected. */
    DIALLER("dialler"),
    /** The side that listened. */
    ACCEPTOR("acceptor");

    private final String label;

    Role(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
