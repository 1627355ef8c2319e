package dev.outpost.edge.origin;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.origin.PoolFixture.fetch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.outpost.testing.OriginExtension;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Host and SNI overrides: what the origin server sees. */
class HostAndSniTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @Test
    void theHostOverrideReplacesTheClientsHostAndTheClientsHostGoesThroughOtherwise() throws Exception {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withBody("ok")));
        try (PoolFixture f = new PoolFixture()) {
            OriginPool overridden = f.origins("origins:\n  - name: default\n    host-header: origin.internal:8443\n"
                    + "    servers: [{url: " + origin.baseUrl() + "}]\n").pool("default");
            fetch(overridden, PoolFixture.get("/with"));
            origin.verify(getRequestedFor(urlEqualTo("/with")).withHeader("Host", equalTo("origin.internal:8443")));
            OriginPool plain = f.origins("origins:\n  - name: default\n    servers: [{url: " + origin.baseUrl() + "}]\n")
                    .pool("default");
            fetch(plain, PoolFixture.get("/without"));
            origin.verify(getRequestedFor(urlEqualTo("/without")).withHeader("Host", equalTo("www.example.com")));
        }
    }

    @Test
    void theSniOverrideIsSentInTheHandshakeAndTheCertificateIsCheckedAgainstIt() throws Exception {
        KeyPair keys = KeyPairGenerator.getInstance("EC").generateKeyPair();
        X509Certificate cert = selfSigned(keys, "origin.example");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("origin", keys.getPrivate(), new char[0], new java.security.cert.Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext serverSsl = SSLContext.getInstance("TLS");
        serverSsl.init(kmf.getKeyManagers(), null, null);

        List<String> sniSeen = new CopyOnWriteArrayList<>();
        List<String> hostSeen = new CopyOnWriteArrayList<>();
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverSsl) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = serverSsl.getDefaultSSLParameters();
                p.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
                    @Override
                    public boolean matches(SNIServerName name) {
                        sniSeen.add(((SNIHostName) name).getAsciiName());
                        return true;
                    }
                }));
                params.setSSLParameters(p);
            }
        });
        server.createContext("/", exchange -> {
            hostSeen.add(exchange.getRequestHeaders().getFirst("Host"));
            byte[] body = "secure".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("origin", cert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
            SSLContext clientSsl = SSLContext.getInstance("TLS");
            clientSsl.init(null, new javax.net.ssl.TrustManager[] {tm}, null);
            OkHttpClient base = Origins.baseClient().newBuilder().sslSocketFactory(clientSsl.getSocketFactory(), tm).build();
            String url = "https://127.0.0.1:" + server.getAddress().getPort();
            try (PoolFixture f = new PoolFixture(base)) {
                OriginPool pool = f.pool("origins:\n  - name: default\n    sni: origin.example\n    host-header: www.example.com\n"
                        + "    servers: [{url: " + url + "}]\n");
                PoolFixture.Answer answer = fetch(pool, PoolFixture.get("/tls"));
                assertThat(answer.body()).isEqualTo("secure");
                assertThat(answer.server()).isEqualTo(url);
                assertThat(sniSeen).containsOnly("origin.example");
                assertThat(hostSeen).containsExactly("www.example.com");

                // without the override the certificate (for origin.example) does not match 127.0.0.1
                OriginPool plain = f.pool("origins:\n  - name: default\n    servers: [{url: " + url + "}]\n");
                assertThatThrownBy(() -> fetch(plain, PoolFixture.get("/tls")))
                        .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.notSent()).isTrue());
            }
        } finally {
            server.stop(0);
        }
    }

    private static X509Certificate selfSigned(KeyPair keys, String dnsName) throws Exception {
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=" + dnsName);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(1, ChronoUnit.DAYS)), Date.from(now.plus(1, ChronoUnit.DAYS)), name, keys.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
