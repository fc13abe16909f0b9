package io.trellis.mqtt.auth;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The verified TLS client certificate of a connection, as the names peer_cert_as_username and
 * peer_cert_as_clientid use: the subject's common name and its RFC 2253 DN. Only a certificate the
 * TLS layer verified is present (verify_peer); with verify_none the client sends none.
 */
public record PeerCertificates(String commonName, String subjectDn) {

    public static final PeerCertificates NONE = new PeerCertificates(null, null);

    /** The certificate names of {@code channel}'s TLS session, or {@link #NONE}. */
    public static PeerCertificates of(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) return NONE;
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) return NONE;
            String dn = leaf.getSubjectX500Principal().getName();
            return new PeerCertificates(commonName(dn), dn);
        } catch (SSLPeerUnverifiedException noCertificate) {
            return NONE;
        }
    }

    static String commonName(String dn) {
        try {
            LdapName name = new LdapName(dn);
            // The most specific CN: LdapName lists RDNs from the right, so the last one wins.
            String cn = null;
            for (Rdn rdn : name.getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) cn = String.valueOf(rdn.getValue());
            }
            return cn;
        } catch (InvalidNameException e) {
            return null;
        }
    }
}
