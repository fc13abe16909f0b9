package io.trellis.cluster.transport;

import io.netty.handler.ssl.NotSslRecordException;
import io.trellis.cluster.handshake.HandshakeFailure;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

/**
 * Maps what the JDK or OpenSSL (BoringSSL) engine says about a failed TLS handshake to a
 * {@link HandshakeFailure} an operator understands. Both engines' wordings are matched: the JDK's
 * exception classes and alert names ("Received fatal alert: certificate_required"), BoringSSL's
 * reason codes ("TLSV1_ALERT_UNKNOWN_CA", "CERTIFICATE_VERIFY_FAILED").
 */
final class TlsFailures {
    /** A classification: the reason, and whether the peer told us (an alert) rather than this node deciding. */
    record Classified(HandshakeFailure reason, boolean reportedByPeer) {
    }

    private TlsFailures() {
    }

    static Classified classify(Throwable failure) {
        StringBuilder text = new StringBuilder();
        boolean expired = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return new Classified(HandshakeFailure.PEER_NOT_TLS, false);
            }
            expired |= t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException;
            text.append(' ').append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        }
        String s = text.toString().toLowerCase(Locale.ROOT);
        // Alerts received: the peer decided. JDK "received fatal alert: x", BoringSSL "sslv3_alert_x" / "tlsv1_alert_x".
        boolean alert = s.contains("received fatal alert") || s.contains("alert_");
        if (alert) {
            if (s.contains("certificate_expired")) {
                return new Classified(HandshakeFailure.TLS_CERT_EXPIRED, true);
            }
            if (s.contains("certificate_required")) {
                return new Classified(HandshakeFailure.TLS_NO_PEER_CERT, true);
            }
            if (s.contains("unknown_ca")) {
                return new Classified(HandshakeFailure.TLS_UNKNOWN_CA, true);
            }
            if (s.contains("certificate_unknown") || s.contains("bad_certificate") || s.contains("unsupported_certificate")) {
                return new Classified(HandshakeFailure.TLS_CERT_REFUSED, true);
            }
            return new Classified(HandshakeFailure.TLS_FAILED, true);
        }
        if (expired || s.contains("certificate has expired") || s.contains("certificate is not yet valid")
                || s.contains("validity check failed") || s.contains("timestamp check failed")) {
            return new Classified(HandshakeFailure.TLS_CERT_EXPIRED, false);
        }
        if (s.contains("no subject alternative") || s.contains("no name matching") || s.contains("hostname")) {
            return new Classified(HandshakeFailure.TLS_HOST_MISMATCH, false);
        }
        if (s.contains("empty client certificate chain") || s.contains("peer_did_not_return_a_certificate")
                || s.contains("null cert chain") || s.contains("empty certificate chain")) {
            return new Classified(HandshakeFailure.TLS_NO_PEER_CERT, false);
        }
        if (s.contains("pkix path") || s.contains("valid certification path") || s.contains("certificate_verify_failed")
                || s.contains("unable to get local issuer") || s.contains("self signed") || s.contains("self-signed")
                || s.contains("path does not chain") || s.contains("signature check failed")) {
            return new Classified(HandshakeFailure.TLS_UNKNOWN_CA, false);
        }
        return new Classified(HandshakeFailure.TLS_FAILED, false);
    }
}
