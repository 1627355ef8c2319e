package dev.outpost.edge.tunnel;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket through an edge (RFC 6455 over HTTP/1.1), with a real WebSocket origin
 * (Java-WebSocket) and real clients over real sockets: the handshake goes to the origin pool
 * with its upgrade tokens, the 101 comes back, and frames flow both ways until either side
 * closes; rules, limits, idle timeout, metrics and the access log around it.
 */
class WebSocketTunnelTest {

    @RegisterExtension
    static final OriginExtension plain = new OriginExtension();

    @TempDir
    Path dir;

    EchoOrigin origin;

    @BeforeEach
    void startOrigin() {
        origin = EchoOrigin.launch();
    }

    @AfterEach
    void stopOrigin() {
        origin.close();
    }

    @Test
    void textBinaryPingAndCloseCodesGoThroughAndTheTunnelIsLoggedOnceAtItsEnd() throws Exception {
        Path log = dir.resolve("access.log");
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).flag("access-log", log.toString()).start()) {
            WsClient c = WsClient.connect(edge.port(), "/chat?room=1");
            assertThat((int) c.handshake.getHttpStatus()).isEqualTo(101);
            assertThat(c.handshake.getFieldValue("Cache-Status")).startsWith("edge-test; fwd=bypass")
                    .contains("fwd-status=101").contains("detail=upgrade").doesNotContain("stored");
            c.send("hello");
            assertThat(c.next()).isEqualTo("hello");
            byte[] bin = new byte[3000];
            for (int i = 0; i < bin.length; i++) {
                bin[i] = (byte) i;
            }
            c.send(bin);
            ByteBuffer echoed = c.binaries.poll(10, TimeUnit.SECONDS);
            assertThat(echoed).isNotNull();
            byte[] got = new byte[echoed.remaining()];
            echoed.get(got);
            assertThat(got).isEqualTo(bin);
            c.sendPing();
            assertThat(c.pongs.poll(10, TimeUnit.SECONDS)).as("the origin's pong").isNotNull();
            assertThat(edge.metric("outpost_tunnels_open")).isEqualTo(1.0);
            assertThat(origin.requests.getFirst().getResourceDescriptor()).isEqualTo("/chat?room=1");
            assertThat(origin.requests.getFirst().getFieldValue("Via")).contains("edge-test");

            c.closeBlocking();
            Await.until("the origin saw the client's close code", Duration.ofSeconds(10), () -> !origin.closes.isEmpty());
            assertThat(origin.closes.getFirst().code()).isEqualTo(1000);
            Await.until("the tunnel is closed", Duration.ofSeconds(10), () -> edge.metric("outpost_tunnels_open") == 0);
            assertThat(edge.metric("outpost_tunnel_closes_total")).isEqualTo(1.0);
            assertThat(edge.metric("outpost_tunnel_bytes_total", "direction", "to-origin")).isGreaterThan(3000);
            assertThat(edge.metric("outpost_tunnel_bytes_total", "direction", "to-client")).isGreaterThan(3000);
            assertThat(edge.metric("outpost_requests_total", "cache", "bypass")).isEqualTo(1.0);
            Await.until("the tunnel's access log line", Duration.ofSeconds(10), () -> lines(log).size() == 1);
            String line = lines(log).getFirst();
            assertThat(line).contains("\"status\":101").contains("\"url\":\"127.0.0.1:" + edge.port() + "/chat?room=1\"")
                    .contains("\"tunnel_end\":").contains("\"bytes_to_origin\":").contains("detail=upgrade");
        }
    }

    @Test
    void aCloseCodeFromTheOriginReachesTheClient() throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            WsClient c = WsClient.connect(edge.port(), "/chat");
            c.send("close:4002");
            assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4002);
            Await.until("the tunnel is closed", Duration.ofSeconds(10), () -> edge.metric("outpost_tunnels_open") == 0);
            assertThat(origin.closes.getFirst().code()).isEqualTo(4002);
        }
    }

    @Test
    void anIdleTunnelIsClosedByTheNodesClockAndAVanishedClientFreesTheOriginConnection() throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).yaml("limits: {tunnel-idle-timeout: 30s}").start();
             RawUpgrade silent = RawUpgrade.websocket(edge.port(), "/quiet")) {
            assertThat(silent.status).as(silent.head).isEqualTo(101);
            silent.sendText("one");
            assertThat(silent.readText()).isEqualTo("one");
            Await.until("the origin has the connection", Duration.ofSeconds(10), () -> origin.open() == 1);
            // the client now says nothing and never closes (it vanished): only the idle timeout frees the origin
            edge.clock().advanceSeconds(29);
            assertThat(edge.metric("outpost_tunnels_open")).isEqualTo(1.0);
            edge.clock().advanceSeconds(1);
            Await.until("the tunnel is closed as idle", Duration.ofSeconds(10),
                    () -> edge.metric("outpost_tunnel_closes_total", "reason", "idle") == 1);
            Await.until("the origin's connection is closed", Duration.ofSeconds(10), () -> origin.open() == 0);
            assertThat(edge.metric("outpost_tunnel_closes_total", "reason", "idle")).isEqualTo(1.0);
            assertThat(silent.socket.getInputStream().read()).as("the client's connection is closed too").isEqualTo(-1);
        }
    }

    @Test
    void aRulesOwnIdleTimeoutWins() throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).yaml("""
                limits: {tunnel-idle-timeout: 1h}
                rules: [{match: {path-prefix: /short/}, tunnel-idle-timeout: 10s}]
                """).start();
             RawUpgrade shortOne = RawUpgrade.websocket(edge.port(), "/short/a");
             RawUpgrade longOne = RawUpgrade.websocket(edge.port(), "/long/a")) {
            assertThat(shortOne.status).isEqualTo(101);
            assertThat(longOne.status).isEqualTo(101);
            edge.clock().advanceSeconds(11);
            Await.until("the short tunnel is closed", Duration.ofSeconds(10), () -> edge.metric("outpost_tunnels_open") == 1);
            longOne.sendText("still");
            assertThat(longOne.readText()).isEqualTo("still");
        }
    }

    @Test
    void websocketDenyIsRefusedWith403AndNothingReachesTheOrigin() throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.url())
                .yaml("rules: [{match: {path-prefix: /no/}, websocket: deny}]").start();
             RawUpgrade r = RawUpgrade.websocket(edge.port(), "/no/chat")) {
            assertThat(r.status).isEqualTo(403);
            assertThat(r.header("Cache-Status")).contains("fwd=bypass").contains("detail=upgrade-denied");
            assertThat(edge.metric("outpost_tunnels_refused_total", "reason", "denied")).isEqualTo(1.0);
            assertThat(origin.handshakes.get()).isZero();
            WsClient allowed = WsClient.connect(edge.port(), "/yes/chat");
            allowed.send("x");
            assertThat(allowed.next()).isEqualTo("x");
            allowed.closeBlocking();
        }
    }

    @Test
    void tunnelLimitsPerClientAndPerNodeTripWithTheirMetric() throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).yaml("limits: {max-tunnels-per-client: 2}").start()) {
            WsClient a = WsClient.connect(edge.port(), "/a");
            WsClient b = WsClient.connect(edge.port(), "/b");
            try (RawUpgrade third = RawUpgrade.websocket(edge.port(), "/c")) {
                assertThat(third.status).isEqualTo(429);
                assertThat(third.header("Retry-After")).isEqualTo("1");
            }
            assertThat(edge.metric("outpost_tunnels_refused_total", "reason", "client-limit")).isEqualTo(1.0);
            assertThat(origin.handshakes.get()).isEqualTo(2);
            a.closeBlocking();
            Await.until("a slot is free", Duration.ofSeconds(10), () -> edge.metric("outpost_tunnels_open") == 1);
            WsClient c = WsClient.connect(edge.port(), "/c");
            c.send("again");
            assertThat(c.next()).isEqualTo("again");
            b.closeBlocking();
            c.closeBlocking();
        }
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).yaml("limits: {max-tunnels: 1}").start()) {
            WsClient a = WsClient.connect(edge.port(), "/a");
            try (RawUpgrade second = RawUpgrade.websocket(edge.port(), "/b")) {
                assertThat(second.status).isEqualTo(503);
            }
            assertThat(edge.metric("outpost_tunnels_refused_total", "reason", "node-limit")).isEqualTo(1.0);
            a.closeBlocking();
        }
    }

    @Test
    void anUnknownUpgradeIsRefusedUnlessARuleAllowsIt() throws Exception {
        try (RawUpgrade.FooOrigin foo = new RawUpgrade.FooOrigin();
             TestEdge edge = TestEdge.withOrigin(foo.url())
                     .yaml("rules: [{match: {path-prefix: /foo/}, upgrades: [foo]}]").start()) {
            String ask = " HTTP/1.1\r\nHost: x\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n";
            try (RawUpgrade refused = RawUpgrade.send(edge.port(), "GET /other" + ask)) {
                assertThat(refused.status).isEqualTo(501);
                assertThat(refused.header("Cache-Status")).contains("detail=upgrade-unsupported");
            }
            assertThat(foo.requests.get()).isZero();
            assertThat(edge.metric("outpost_tunnels_refused_total", "reason", "unsupported")).isEqualTo(1.0);
            try (RawUpgrade relayed = RawUpgrade.send(edge.port(), "GET /foo/x" + ask)) {
                assertThat(relayed.status).as(relayed.head).isEqualTo(101);
                assertThat(relayed.header("Upgrade")).isEqualTo("foo");
                relayed.socket.getOutputStream().write("raw bytes".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(relayed.socket.getInputStream().readNBytes(9), StandardCharsets.US_ASCII))
                        .isEqualTo("raw bytes");
            }
            assertThat(foo.lastHead).containsIgnoringCase("upgrade: foo").containsIgnoringCase("connection: upgrade");
        }
    }

    @Test
    void aHandshakeIsNeverStoredNorCollapsedAndADeclinedOneIsRelayed() throws Exception {
        plain.stubFor(get("/chat").willReturn(aResponse().withStatus(200).withHeader("Cache-Control", "max-age=600")
                .withBody("no websocket here")));
        try (TestEdge edge = TestEdge.withOrigin(plain.baseUrl()).start()) {
            try (RawUpgrade declined = RawUpgrade.websocket(edge.port(), "/chat")) {
                assertThat(declined.status).isEqualTo(200);
                assertThat(declined.header("Cache-Status")).contains("fwd=bypass").contains("detail=upgrade");
            }
            assertThat(plain.findAll(getRequestedFor(urlEqualTo("/chat"))).getFirst().getHeader("Upgrade"))
                    .isEqualTo("websocket");
            HttpResponse<String> later = edge.get("/chat");
            assertThat(later.headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");
            plain.verify(2, getRequestedFor(urlEqualTo("/chat")));
            assertThat(edge.metric("outpost_tunnels_refused_total", "reason", "origin-declined")).isEqualTo(1.0);
        }
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            WsClient c = WsClient.connect(edge.port(), "/chat");
            c.closeBlocking();
            HttpResponse<String> later = edge.get("/chat");
            assertThat(later.headers().firstValue("Cache-Status").orElseThrow()).doesNotContain("hit");
        }
    }

    @Test
    void throughAShieldTunnelsGoToTheOriginDirectly() throws Exception {
        try (TestEdge shield = TestEdge.withOrigin(origin.url()).flag("role", "shield").flag("node-id", "shield-1").start();
             TestEdge edge = TestEdge.withOrigin(origin.url()).flag("node-id", "edge-1")
                     .flag("shield", List.of(shield.uri("").toString())).start()) {
            WsClient c = WsClient.connect(edge.port(), "/chat");
            c.send("via edge");
            assertThat(c.next()).isEqualTo("via edge");
            assertThat(c.handshake.getFieldValue("Cache-Status")).startsWith("edge-1;").doesNotContain("shield-1");
            assertThat(shield.metric("outpost_requests_total")).as("the shield saw no tunnel").isZero();
            c.closeBlocking();
        }
    }

    @Test
    void overTheTlsListenerToo() throws Exception {
        dev.outpost.edge.TestTls tls = dev.outpost.edge.TestTls.create(dir);
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).yaml(tls.yaml()).start()) {
            WsClient c = WsClient.connectTls(edge.node().tlsPort(), "/secure", tls.clientContext());
            c.send("over tls");
            assertThat(c.next()).isEqualTo("over tls");
            byte[] big = new byte[200_000];
            java.util.Arrays.fill(big, (byte) 7);
            c.send(big);
            ByteBuffer echoed = c.binaries.poll(10, TimeUnit.SECONDS);
            assertThat(echoed).isNotNull();
            assertThat(echoed.remaining()).isEqualTo(big.length);
            c.closeBlocking();
            Await.until("the tunnel is closed", Duration.ofSeconds(10), () -> edge.metric("outpost_tunnels_open") == 0);
        }
    }

    @Test
    void aHundredConcurrentTunnelsEchoTheirOwnMessages() throws Exception {
        TunnelLoad.run(100, origin);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
