package dev.outpost.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * An {@link SSLContext} from PEM files, as operators have them from their CA or ACME client:
 * a certificate chain and a private key in PKCS#8, PKCS#1 (RSA) or SEC1 (EC) form, and
 * optionally a CA bundle whose certificates clients must present (mutual TLS).
 */
public final class PemTls {

    private PemTls() {
    }

    /** The context for {@code tls} ({@code certificate}, {@code private-key}, optional {@code client-ca}). */
    public static SSLContext context(TlsSettings tls) throws IOException {
        return context(Path.of(tls.certificate()), Path.of(tls.privateKey()),
                tls.clientCa() == null ? null : Path.of(tls.clientCa()));
    }

    public static SSLContext context(Path certificate, Path privateKey, Path clientCa) throws IOException {
        try {
            List<Certificate> chain = certificates(certificate);
            if (chain.isEmpty()) {
                throw new IOException(certificate + ": no certificate found");
            }
            PrivateKey key = privateKey(privateKey);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("outpost", key, new char[0], chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            TrustManagerFactory tmf = null;
            if (clientCa != null) {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (Certificate c : certificates(clientCa)) {
                    trust.setCertificateEntry("ca-" + i++, c);
                }
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS setup failed: " + e.getMessage(), e);
        }
    }

    static List<Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (var in = Files.newInputStream(file)) {
            return new ArrayList<>(cf.generateCertificates(in));
        }
    }

    static PrivateKey privateKey(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file); PEMParser parser = new PEMParser(r)) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PEMKeyPair pair) {
                    // SEC1 EC keys may come without their public half
                    return pair.getPublicKeyInfo() == null ? converter.getPrivateKey(pair.getPrivateKeyInfo())
                            : converter.getKeyPair(pair).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            }
        }
        throw new IOException(file + ": no private key found (encrypted keys are not supported)");
    }
}
