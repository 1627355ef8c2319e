package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.TlsSettings;
import dev.outpost.edge.fleet.FleetAgent;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API over TLS from PEM files, and mutual TLS between nodes and the control plane. */
class ControlPlaneTlsTest {

    @TempDir
    Path dir;

    record Issued(KeyPair keys, X509Certificate cert) {
    }

    static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    static Issued issue(String cn, Issued ca, boolean isCa) throws Exception {
        KeyPair k = keys();
        X500Name subject = new X500Name("CN=" + cn);
        X500Name issuer = ca == null ? subject : new X500Name(ca.cert().getSubjectX500Principal().getName());
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(3600)), Date.from(now.plusSeconds(86_400)), subject, k.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (!isCa) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        }
        var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(ca == null ? k.getPrivate() : ca.keys().getPrivate());
        return new Issued(k, new JcaX509CertificateConverter().getCertificate(b.build(signer)));
    }

    Path pem(String name, Object... objects) throws IOException {
        Path f = dir.resolve(name);
        try (Writer w = Files.newBufferedWriter(f); JcaPEMWriter p = new JcaPEMWriter(w)) {
            for (Object o : objects) {
                p.writeObject(o);
            }
        }
        return f;
    }

    static SSLContext client(Issued ca, Issued me) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (me != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("me", me.keys().getPrivate(), new char[0], new java.security.cert.Certificate[] {me.cert()});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    static int get(SSLContext ssl, String url, String token) throws Exception {
        HttpClient c = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(3)).build();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void apiOverMutualTlsAndANodeJoiningWithItsCertificate() throws Exception {
        Issued ca = issue("outpost test CA", null, true);
        Issued server = issue("control-plane", ca, false);
        Issued node = issue("edge-tls", ca, false);
        Issued stranger = issue("stranger", issue("other CA", null, true), false);
        Path caPem = pem("ca.pem", ca.cert());
        TlsSettings tls = new TlsSettings(null, pem("cp.pem", server.cert()).toString(),
                pem("cp.key", new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(server.keys().getPrivate(), null)).toString(), caPem.toString());

        try (TestControlPlane cp = new TestControlPlane(dir.resolve("cp"), new ManualClock(), c -> new ControlPlaneConfig(
                c.listen(), c.dnsListen(), c.zone(), c.geoip(), c.dataDir(), c.token(), c.readToken(), c.writeToken(),
                c.dns(), c.nodeToken(), c.heartbeatTimeout(), c.purgeRateLimit(), c.maxRequestBody(), tls,
                c.streamKeepalive(), c.shutdownGrace())).start()) {
            String url = cp.cp().url().toString();
            assertThat(url).startsWith("https://");
            assertThat(get(client(ca, node), url + "/v1/nodes", TestControlPlane.READ)).isEqualTo(200);
            assertThat(get(client(ca, node), url + "/v1/nodes", null)).isEqualTo(401);
            assertThatThrownBy(() -> get(client(ca, null), url + "/healthz", null)).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> get(client(ca, stranger), url + "/healthz", null)).isInstanceOf(IOException.class);

            Map<String, Object> flags = new LinkedHashMap<>();
            flags.put("control-plane", url);
            flags.put("token", TestControlPlane.NODE);
            flags.put("node-id", "edge-tls");
            flags.put("heartbeat-interval", "100ms");
            flags.put("tls.listen", "127.0.0.1:0");
            flags.put("tls.certificate", pem("node.pem", node.cert()).toString());
            flags.put("tls.private-key", pem("node.key", new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(node.keys().getPrivate(), null)).toString());
            flags.put("tls.client-ca", caPem.toString());
            NodeConfig nc = ConfigReader.node().read(null, flags).value();
            RecordingHooks hooks = new RecordingHooks();
            try (FleetAgent agent = new FleetAgent(nc, hooks, new ManualClock(), dir.resolve("edge-tls"), null)) {
                agent.start();
                Await.until("node joined over mutual TLS", Duration.ofSeconds(10),
                        () -> agent.status().state() == FleetAgent.State.CONNECTED);
                assertThat(cp.cp().registry().node("edge-tls")).isPresent();
            }
        }
    }
}
