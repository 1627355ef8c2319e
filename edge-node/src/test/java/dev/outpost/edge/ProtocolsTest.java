package dev.outpost.edge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.OriginExtension;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** HTTP/1.1 keep-alive, h2c with prior knowledge and by upgrade, h2 over TLS from PEM files. */
class ProtocolsTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @TempDir
    Path tmp;

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
        origin.stubFor(get("/k").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("kept")));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start(); Socket s = new Socket("127.0.0.1", edge.port())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                out.write(("GET /k HTTP/1.1\r\nHost: a.test\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                String response = readResponse(in);
                assertThat(response).startsWith("HTTP/1.1 200").endsWith("kept");
            }
            origin.verify(1, getRequestedFor(urlEqualTo("/k")));
        }
    }

    /** Reads one HTTP/1.1 response, with a Content-Length or chunked body. */
    private static String readResponse(InputStream in) throws Exception {
        String head = line(in, "\r\n\r\n");
        int length = -1;
        boolean chunked = false;
        for (String l : head.split("\r\n")) {
            String lower = l.toLowerCase();
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(l.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        StringBuilder body = new StringBuilder();
        if (chunked) {
            int size;
            while ((size = Integer.parseInt(line(in, "\r\n").trim(), 16)) > 0) {
                body.append(new String(in.readNBytes(size), StandardCharsets.ISO_8859_1));
                line(in, "\r\n");
            }
            line(in, "\r\n");
        } else {
            body.append(new String(in.readNBytes(length), StandardCharsets.ISO_8859_1));
        }
        return head + body;
    }

    private static String line(InputStream in, String end) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                throw new java.io.EOFException(sb.toString());
            }
            sb.append((char) c);
        }
        return sb.substring(0, sb.length() - end.length()) + (end.length() > 2 ? end : "");
    }

    @Test
    void h2cWithPriorKnowledgeAndByUpgrade() throws Exception {
        origin.stubFor(get("/h2").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("over h2")));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start()) {
            OkHttpClient prior = new OkHttpClient.Builder().protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)).build();
            try (Response r = prior.newCall(new Request.Builder().url("http://127.0.0.1:" + edge.port() + "/h2").build()).execute()) {
                assertThat(r.protocol()).isEqualTo(Protocol.H2_PRIOR_KNOWLEDGE);
                assertThat(r.code()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("over h2");
                assertThat(r.header("cache-status")).contains("fwd=miss");
            }
            try (Response r = prior.newCall(new Request.Builder().url("http://127.0.0.1:" + edge.port() + "/h2").build()).execute()) {
                assertThat(r.header("cache-status")).startsWith("edge-test; hit");
                assertThat(r.body().string()).isEqualTo("over h2");
            }
            HttpClient upgrading = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            HttpResponse<String> up = upgrading.send(HttpRequest.newBuilder(edge.uri("/h2")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(up.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(up.body()).isEqualTo("over h2");
            HttpResponse<String> again = upgrading.send(HttpRequest.newBuilder(edge.uri("/h2")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(again.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(again.headers().firstValue("cache-status").orElseThrow()).startsWith("edge-test; hit");
        }
    }

    @Test
    void h2OverTlsFromPemFiles() throws Exception {
        origin.stubFor(get("/tls").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("secure")));
        KeyPair keys = KeyPairGenerator.getInstance("EC").generateKeyPair();
        X509Certificate cert = selfSigned(keys);
        Path certFile = tmp.resolve("cert.pem");
        Path keyFile = tmp.resolve("key.pem");
        Files.writeString(certFile, pem(cert));
        Files.writeString(keyFile, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), null)));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("tls: {listen: \"127.0.0.1:0\", certificate: \"" + certFile + "\", private-key: \"" + keyFile + "\"}")
                .start()) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("edge", cert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            OkHttpClient client = new OkHttpClient.Builder()
                    .sslSocketFactory(ssl.getSocketFactory(), (X509TrustManager) tmf.getTrustManagers()[0])
                    .hostnameVerifier((h, s) -> h.equals("localhost"))
                    .build();
            try (Response r = client.newCall(new Request.Builder().url("https://localhost:" + edge.node().tlsPort() + "/tls")
                    .build()).execute()) {
                assertThat(r.protocol()).isEqualTo(Protocol.HTTP_2);
                assertThat(r.code()).isEqualTo(200);
                assertThat(r.body().string()).isEqualTo("secure");
            }
            HttpClient jdk = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> h1 = jdk.send(HttpRequest.newBuilder(URI.create("https://localhost:" + edge.node().tlsPort() + "/tls"))
                    .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(h1.headers().firstValue("cache-status").orElseThrow()).startsWith("edge-test; hit");
        }
    }

    private static X509Certificate selfSigned(KeyPair keys) throws Exception {
        X500Name name = new X500Name("CN=localhost");
        long now = System.currentTimeMillis();
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now), new Date(now - 60_000),
                new Date(now + 86_400_000L), name, keys.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")));
        var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static String pem(Object o) throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        return w.toString();
    }
}
