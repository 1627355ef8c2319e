package dev.outpost.edge;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate for {@code localhost} written as PEM files, for a test edge's TLS
 * listener, and the client-side {@link SSLContext} that trusts it.
 *
 * @param yaml the {@code tls:} config line for a {@link TestEdge}
 */
public record TestTls(Path certificate, Path privateKey, SSLContext clientContext, X509TrustManager trustManager, String yaml) {

    /** Writes a fresh certificate and key into {@code dir}. */
    public static TestTls create(Path dir) {
        try {
            KeyPair keys = KeyPairGenerator.getInstance("EC").generateKeyPair();
            X500Name name = new X500Name("CN=localhost");
            long now = System.currentTimeMillis();
            var builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now), new Date(now - 60_000),
                    new Date(now + 86_400_000L), name, keys.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
            Path certFile = dir.resolve("cert.pem");
            Path keyFile = dir.resolve("key.pem");
            Files.writeString(certFile, pem(cert));
            Files.writeString(keyFile, pem(new JcaPKCS8Generator(keys.getPrivate(), null)));
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("edge", cert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            String yaml = "tls: {listen: \"127.0.0.1:0\", certificate: \"" + certFile + "\", private-key: \"" + keyFile + "\"}";
            return new TestTls(certFile, keyFile, ssl, (X509TrustManager) tmf.getTrustManagers()[0], yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(Object o) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        return w.toString();
    }
}
