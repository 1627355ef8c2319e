package dev.outpost.edge.shield;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Edges in front of shields in front of a WireMock origin, all on real sockets: one origin
 * fetch per object for the fleet, failover down the rendezvous ranking, fallback to the
 * origin, loops refused.
 */
class ShieldTest {

    private static final String HOST = "www.example.com";

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    private static TestEdge shield(String id) {
        return TestEdge.withOrigin(origin.baseUrl()).flag("role", "shield").flag("node-id", id).start();
    }

    private static TestEdge edge(String id, TestEdge... shields) {
        List<String> urls = new ArrayList<>();
        for (TestEdge s : shields) {
            urls.add(s.uri("").toString());
        }
        return TestEdge.withOrigin(origin.baseUrl()).flag("node-id", id).flag("shield", urls).start();
    }

    /** Clients' requests: all with the same Host, so every edge has the same cache key for a path. */
    private static final OkHttpClient CLIENT = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(30))
            .retryOnConnectionFailure(false).build();

    /** What a client got: status, Cache-Status members (as one line) and body. */
    record Answer(int status, String cacheStatus, String body) {
    }

    private static Answer fetch(TestEdge edge, String path) {
        Request request = new Request.Builder().url(edge.uri(path).toString()).header("Host", HOST).build();
        try (Response r = CLIENT.newCall(request).execute()) {
            return new Answer(r.code(), String.join(", ", r.headers("Cache-Status")), r.body().string());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String cacheStatus(Answer r) {
        return r.cacheStatus();
    }

    /** The shield whose member is in a response's Cache-Status, or null. */
    private static String shieldOf(Answer r) {
        String cs = cacheStatus(r);
        for (String id : List.of("shield-1", "shield-2", "shield-3")) {
            if (cs.contains(id + ";")) {
                return id;
            }
        }
        return null;
    }

    private static void stubObjects() {
        origin.stubFor(get(urlPathMatching("/o/.*")).willReturn(aResponse().withHeader("Cache-Control", "max-age=300")
                .withBody("object")));
    }

    @Test
    void threeEdgesWithAHundredConcurrentClientsEachCauseOneOriginFetch() throws Exception {
        String body = "x".repeat(64 * 1024);
        origin.stubFor(get("/big").willReturn(aResponse().withFixedDelay(700).withHeader("Cache-Control", "max-age=300")
                .withBody(body)));
        try (TestEdge s1 = shield("shield-1");
             TestEdge e1 = edge("edge-1", s1);
             TestEdge e2 = edge("edge-2", s1);
             TestEdge e3 = edge("edge-3", s1);
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Answer>> answers = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                for (TestEdge e : List.of(e1, e2, e3)) {
                    answers.add(clients.submit(() -> fetch(e, "/big")));
                }
            }
            for (Future<Answer> f : answers) {
                Answer r = f.get();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(body);
                String cs = cacheStatus(r);
                assertThat(cs).contains("shield-1;");
                assertThat(cs.indexOf("shield-1;")).as("shield's member first: %s", cs).isLessThan(cs.indexOf("edge-"));
            }
            origin.verify(1, getRequestedFor(urlEqualTo("/big")));
            origin.verify(getRequestedFor(urlEqualTo("/big"))
                    .withHeader("Via", containing("1.1 edge-"))
                    .withHeader("Via", containing(", 1.1 shield-1"))
                    .withHeader("CDN-Loop", containing("outpost; node=shield-1"))
                    .withHeader("Host", equalTo(HOST)));
            assertThat(s1.metric("outpost_requests_total", "cache", "miss")).isGreaterThanOrEqualTo(1.0);
            double fromEdges = s1.metric("outpost_requests_total", "cache", "miss") + s1.metric("outpost_requests_total", "cache", "hit");
            assertThat(fromEdges).as("each edge collapses its clients into one request").isEqualTo(3.0);
        }
    }

    @Test
    void everyEdgeSendsAKeyToTheSameShield() {
        stubObjects();
        try (TestEdge s1 = shield("shield-1");
             TestEdge s2 = shield("shield-2");
             TestEdge s3 = shield("shield-3");
             TestEdge e1 = edge("edge-1", s1, s2, s3);
             TestEdge e2 = edge("edge-2", s3, s1, s2);
             TestEdge e3 = edge("edge-3", s2, s3, s1)) {
            Map<String, Integer> perShield = new HashMap<>();
            for (int i = 0; i < 30; i++) {
                String path = "/o/" + i;
                String first = null;
                for (TestEdge e : List.of(e1, e2, e3)) {
                    Answer r = fetch(e, path);
                    assertThat(r.status()).isEqualTo(200);
                    String s = shieldOf(r);
                    assertThat(s).as("%s via %s: %s", path, e.node().config().nodeId(), cacheStatus(r)).isNotNull();
                    if (first == null) {
                        first = s;
                        perShield.merge(s, 1, Integer::sum);
                    } else {
                        assertThat(s).as("%s via %s", path, e.node().config().nodeId()).isEqualTo(first);
                        assertThat(cacheStatus(r)).contains(s + "; hit");
                    }
                }
            }
            assertThat(perShield).hasSize(3);
            origin.verify(30, getRequestedFor(urlPathMatching("/o/.*")));
        }
    }

    @Test
    void whenAShieldIsDownTheNextInTheRankingTakesOverThenTheOrigin() {
        stubObjects();
        try (TestEdge s1 = shield("shield-1");
             TestEdge s2 = shield("shield-2");
             TestEdge e1 = edge("edge-1", s1, s2)) {
            Map<String, String> before = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                Answer r = fetch(e1, "/o/" + i);
                assertThat(r.status()).isEqualTo(200);
                before.put("/o/" + i, shieldOf(r));
            }
            assertThat(before.values()).contains("shield-1", "shield-2");
            String s1Url = s1.uri("").toString();

            s1.close();
            e1.clock().advanceSeconds(301);
            for (Map.Entry<String, String> k : before.entrySet()) {
                Answer r = fetch(e1, k.getKey());
                assertThat(r.status()).as("no client error while shield-1 is down").isEqualTo(200);
                assertThat(shieldOf(r)).isEqualTo("shield-2");
                if (k.getValue().equals("shield-2")) {
                    assertThat(cacheStatus(r)).contains("shield-2; hit");
                }
            }
            assertThat(e1.metric("outpost_shield_ejections_total", "shield", s1Url)).isEqualTo(1.0);
            assertThat(e1.metric("outpost_shield_up", "shield", s1Url)).isEqualTo(0.0);
            origin.verify(20 + (int) before.values().stream().filter("shield-1"::equals).count(),
                    getRequestedFor(urlPathMatching("/o/.*")));

            s2.close();
            e1.clock().advanceSeconds(301);
            for (String k : before.keySet()) {
                Answer r = fetch(e1, k);
                assertThat(r.status()).as("no client error with every shield down").isEqualTo(200);
                assertThat(shieldOf(r)).isNull();
                assertThat(cacheStatus(r)).startsWith("edge-1; fwd=stale; fwd-status=200; stored");
            }
            assertThat(e1.metric("outpost_shield_fallbacks_total")).isGreaterThanOrEqualTo(20.0);
            origin.verify(getRequestedFor(urlPathMatching("/o/.*")).withHeader("Via", equalTo("1.1 edge-1")));
        }
    }

    @Test
    void withoutOriginFallbackAnEdgeWhoseShieldsAreDownAnswers502SayingWhy() {
        stubObjects();
        TestEdge s1 = shield("shield-1");
        String url = s1.uri("").toString();
        s1.close();
        try (TestEdge e1 = TestEdge.withOrigin(origin.baseUrl()).flag("node-id", "edge-1").flag("shield", List.of(url))
                .flag("origin-fallback", "false").start()) {
            Answer r = fetch(e1, "/o/1");
            assertThat(r.status()).isEqualTo(502);
            assertThat(cacheStatus(r)).isEqualTo("edge-1; fwd=miss; detail=shield-unreachable");
            fetch(e1, "/o/2");
            Answer ejected = fetch(e1, "/o/3");
            assertThat(ejected.status()).isEqualTo(502);
            assertThat(cacheStatus(ejected)).isEqualTo("edge-1; fwd=miss; detail=shields-down");
            origin.verify(0, anyRequestedFor(anyUrl()));
        }
    }

    @Test
    void healthChecksTakeADeadShieldOutBeforeAnyRequestFindsItAndBringItBack() {
        stubObjects();
        try (TestEdge s1 = shield("shield-1");
             TestEdge s2 = shield("shield-2");
             TestEdge e1 = edge("edge-1", s1, s2)) {
            String s1Url = s1.uri("").toString();
            Await.until("first checks of shield-1 passed", Duration.ofSeconds(10),
                    () -> e1.metric("outpost_shield_health_checks_total", "shield", s1Url, "result", "pass") >= 1);
            s1.stop();
            for (int round = 1; round <= 2; round++) {
                e1.clock().advance(Upstreams.SHIELD_CHECK_INTERVAL);
                int failures = round;
                Await.until("failed check " + round + " of shield-1", Duration.ofSeconds(10),
                        () -> e1.metric("outpost_shield_health_checks_total", "shield", s1Url, "result", "fail") >= failures);
            }
            assertThat(e1.metric("outpost_shield_up", "shield", s1Url)).isEqualTo(0.0);
            for (int i = 0; i < 10; i++) {
                Answer r = fetch(e1, "/o/" + i);
                assertThat(r.status()).isEqualTo(200);
                assertThat(shieldOf(r)).isEqualTo("shield-2");
            }
            assertThat(e1.metric("outpost_shield_requests_total", "shield", s1Url)).as("never tried").isNaN();
            assertThat(e1.metric("outpost_shield_ejections_total", "shield", s1Url)).isEqualTo(0.0);

            // back on the same port: up after two passed checks, and its keys go to it again
            s1.restart();
            for (int round = 1; round <= 2; round++) {
                e1.clock().advance(Upstreams.SHIELD_CHECK_INTERVAL);
                int passes = 1 + round;
                Await.until("passed check " + round + " of shield-1", Duration.ofSeconds(10),
                        () -> e1.metric("outpost_shield_health_checks_total", "shield", s1Url, "result", "pass") >= passes);
            }
            assertThat(e1.metric("outpost_shield_up", "shield", s1Url)).isEqualTo(1.0);
            int toShield1 = 0;
            for (int i = 100; i < 120; i++) {
                Answer r = fetch(e1, "/o/" + i);
                assertThat(r.status()).isEqualTo(200);
                toShield1 += "shield-1".equals(shieldOf(r)) ? 1 : 0;
            }
            assertThat(toShield1).isBetween(1, 19);
        }
    }

    @Test
    void anEdgeWhoseShieldListPointsBackAtItselfAnswers508() {
        stubObjects();
        int port = Ports.free();
        try (TestEdge e1 = TestEdge.withOrigin(origin.baseUrl()).flag("node-id", "edge-1").flag("listen", "127.0.0.1:" + port)
                .flag("shield", List.of("http://127.0.0.1:" + port)).start()) {
            Answer r = fetch(e1, "/o/loop");
            assertThat(r.status()).isEqualTo(508);
            assertThat(cacheStatus(r)).contains("edge-1; fwd=bypass; detail=loop-detected");
            origin.verify(0, anyRequestedFor(anyUrl()));
        }
    }

    @Test
    void twoEdgesThatAreEachOthersShieldAnswer508() {
        stubObjects();
        int pa = Ports.free();
        int pb = Ports.free();
        try (TestEdge a = TestEdge.withOrigin(origin.baseUrl()).flag("node-id", "edge-a").flag("listen", "127.0.0.1:" + pa)
                .flag("shield", List.of("http://127.0.0.1:" + pb)).start();
             TestEdge b = TestEdge.withOrigin(origin.baseUrl()).flag("node-id", "edge-b").flag("listen", "127.0.0.1:" + pb)
                .flag("shield", List.of("http://127.0.0.1:" + pa)).start()) {
            Answer r = fetch(a, "/o/pingpong");
            assertThat(r.status()).isEqualTo(508);
            String cs = cacheStatus(r);
            assertThat(cs).contains("edge-a; fwd=bypass; detail=loop-detected");
            assertThat(cs.indexOf("edge-b;")).isGreaterThan(cs.indexOf("edge-a; fwd=bypass"));
            origin.verify(0, anyRequestedFor(anyUrl()));
        }
    }
}
