package dev.outpost.controlplane;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.fleet.PurgeStatus;
import dev.outpost.edge.EdgeNode;
import dev.outpost.edge.fleet.FleetAgent;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real control plane and real edge nodes (in process, each on its own ports, with its own
 * RocksDB disk tier) joined by the fleet agent, and a WireMock origin: purges of every kind seen
 * on every node, a config change under steady load with no failed request, and a node stopped
 * during a purge catching up when it comes back.
 */
class FleetEdgeIntegrationTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    static final String HOST = "www.example.test";

    @TempDir
    Path dir;
    @RegisterExtension
    final ControlPlaneExtension cp = new ControlPlaneExtension(InstantSource.system());
    final Map<String, Edge> edges = new LinkedHashMap<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** One fleet member: the node and its agent, wired the way the edge's main wires them. */
    final class Edge implements AutoCloseable {
        final String id;
        EdgeNode node;
        FleetAgent agent;

        Edge(String id) {
            this.id = id;
        }

        Edge start() throws Exception {
            Map<String, Object> flags = new LinkedHashMap<>();
            flags.put("listen", "127.0.0.1:0");
            flags.put("admin", "127.0.0.1:0");
            flags.put("data-dir", dir.resolve(id).toString());
            flags.put("access-log", "off");
            flags.put("node-id", id);
            flags.put("region", id.startsWith("eu") ? "eu" : "us");
            flags.put("origin", origin.baseUrl());
            flags.put("control-plane", cp.url());
            flags.put("token", TestControlPlane.NODE);
            flags.put("heartbeat-interval", "100ms");
            ConfigReader.Loaded<NodeConfig> loaded = ConfigReader.node().read(null, flags);
            node = EdgeNode.start(loaded.value(), loaded.source(), InstantSource.system());
            agent = node.fleet();
            Await.until(id + " caught up", Duration.ofSeconds(10), () -> agent.status().state() == FleetAgent.State.CONNECTED);
            return this;
        }

        /** A request with the fleet's Host; returns the Cache-Status (or the status line when none). */
        String cacheStatus(String path) {
            RawHttp.Exchange ex = RawHttp.send(node.port(), "GET " + path + " HTTP/1.1\r\nHost: " + HOST
                    + "\r\nConnection: close\r\n\r\n", 5000);
            assertThat(ex.status()).as(ex.response()).isEqualTo(200);
            return ex.response().lines().filter(l -> l.regionMatches(true, 0, "Cache-Status:", 0, 13))
                    .findFirst().orElse("no Cache-Status: " + ex.response().lines().findFirst().orElse(""));
        }

        @Override
        public void close() {
            if (node != null) {
                node.close();
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        for (String p : List.of("/p/1", "/p/2", "/q/1", "/t/1", "/s/1")) {
            origin.stubFor(get(p).willReturn(aResponse().withHeader("Cache-Control", "max-age=300")
                    .withHeader("ETag", "\"" + p.hashCode() + "\"")
                    .withHeader("Surrogate-Key", p.startsWith("/t/") ? "tagged other" : "plain")
                    .withBody("body of " + p)));
        }
        origin.stubFor(get("/s/1").withHeader("If-None-Match", equalTo("\"" + "/s/1".hashCode() + "\""))
                .willReturn(aResponse().withStatus(304).withHeader("Cache-Control", "max-age=300")));
        for (String id : List.of("eu-edge", "us-edge")) {
            edges.put(id, new Edge(id).start());
        }
    }

    @AfterEach
    void stop() {
        edges.values().forEach(Edge::close);
    }

    void warm(String... paths) {
        for (Edge e : edges.values()) {
            for (String p : paths) {
                e.cacheStatus(p);
                assertThat(e.cacheStatus(p)).as(e.id + " " + p).contains("; hit");
            }
        }
    }

    PurgeStatus purge(String json) {
        TestControlPlane.Resp r = cp.post("/v1/purges?wait=5s", TestControlPlane.WRITE, json);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        PurgeStatus s = r.as(PurgeStatus.class);
        assertThat(s.acked()).containsExactlyInAnyOrderElementsOf(edges.keySet());
        return s;
    }

    void assertEverywhere(String path, String expected) {
        for (Edge e : edges.values()) {
            assertThat(e.cacheStatus(path)).as(e.id + " " + path).contains(expected);
        }
    }

    @Test
    void purgesOfEveryKindAreSeenOnEveryNode() {
        warm("/p/1", "/p/2", "/q/1", "/t/1");
        purge("{\"kind\":\"url\",\"values\":[\"http://" + HOST + "/p/1\"]}");
        assertEverywhere("/p/1", "fwd=miss");
        assertEverywhere("/p/2", "; hit");

        warm("/p/1");
        purge("{\"kind\":\"prefix\",\"values\":[\"http://" + HOST + "/p/\"]}");
        assertEverywhere("/p/1", "fwd=miss");
        assertEverywhere("/p/2", "fwd=miss");
        assertEverywhere("/q/1", "; hit");

        purge("{\"kind\":\"tag\",\"values\":[\"tagged\"]}");
        assertEverywhere("/t/1", "fwd=miss");
        assertEverywhere("/q/1", "; hit");

        purge("{\"kind\":\"host\",\"values\":[\"" + HOST + "\"]}");
        assertEverywhere("/q/1", "fwd=miss");

        warm("/q/1", "/t/1");
        purge("{\"kind\":\"all\"}");
        assertEverywhere("/q/1", "fwd=miss");
        assertEverywhere("/t/1", "fwd=miss");

        warm("/s/1");
        purge("{\"kind\":\"url\",\"values\":[\"http://" + HOST + "/s/1\"],\"soft\":true}");
        assertEverywhere("/s/1", "fwd=stale; fwd-status=304");
        assertEverywhere("/s/1", "; hit");
    }

    @Test
    void aConfigChangeUnderSteadyLoadFailsNoRequest() throws Exception {
        String v1 = """
                origins:
                  - name: default
                    servers: [{url: "%s"}]
                rules:
                  - match: {path-prefix: /p/}
                    browser-cache-control: "public, max-age=11"
                """.formatted(origin.baseUrl());
        cp.post("/v1/configs", TestControlPlane.WRITE, v1);
        for (Edge e : edges.values()) {
            Await.until(e.id + " on v1", Duration.ofSeconds(10), () -> e.node.configVersion() == 1);
        }
        AtomicBoolean go = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        Map<String, Boolean> sawV2 = new ConcurrentHashMap<>();
        ExecutorService load = Executors.newFixedThreadPool(4);
        List<Edge> list = new ArrayList<>(edges.values());
        for (int t = 0; t < 4; t++) {
            Edge e = list.get(t % list.size());
            load.execute(() -> {
                while (go.get()) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + e.node.port() + "/p/1"))
                                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200 && r.body().equals("body of /p/1")) {
                            ok.incrementAndGet();
                            if (r.headers().firstValue("Cache-Control").orElse("").contains("max-age=22")) {
                                sawV2.put(e.id, true);
                            }
                        } else {
                            failures.merge("status " + r.statusCode(), 1, Integer::sum);
                        }
                    } catch (Exception ex) {
                        failures.merge(ex.getClass().getSimpleName(), 1, Integer::sum);
                    }
                }
            });
        }
        Await.until("load running", Duration.ofSeconds(10), () -> ok.get() > 200);
        int before = ok.get();
        cp.post("/v1/configs", TestControlPlane.WRITE, v1.replace("max-age=11", "max-age=22"));
        Await.until("every edge serves v2", Duration.ofSeconds(10), () -> sawV2.size() == edges.size());
        Await.until("more load after the change", Duration.ofSeconds(10), () -> ok.get() > before + 400);
        go.set(false);
        load.shutdown();
        assertThat(load.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(failures).as("failed requests during the change").isEmpty();
        for (Edge e : edges.values()) {
            assertThat(e.node.configVersion()).isEqualTo(2);
        }
        Await.until("applied versions reported", Duration.ofSeconds(5), () -> cp.cp().registry().nodes().stream()
                .allMatch(n -> n.configVersion() == 2));
    }

    @Test
    void aNodeStoppedDuringAPurgeCatchesUpBeforeItsFirstHit() throws Exception {
        warm("/p/1", "/p/2");
        Edge us = edges.get("us-edge");
        us.close();
        TestControlPlane.Resp r = cp.post("/v1/purges?wait=300ms", TestControlPlane.WRITE,
                "{\"kind\":\"url\",\"values\":[\"http://" + HOST + "/p/1\"]}");
        PurgeStatus s = r.as(PurgeStatus.class);
        assertThat(s.acked()).containsExactly("eu-edge");
        assertThat(s.pending()).containsExactly("us-edge");

        edges.put("us-edge", new Edge("us-edge").start()); // same data dir: /p/1 is still on its disk tier
        Edge back = edges.get("us-edge");
        assertThat(back.agent.status().purgeSequence()).isEqualTo(1);
        assertThat(back.cacheStatus("/p/1")).contains("fwd=miss");
        assertThat(back.cacheStatus("/p/2")).contains("; hit");
        assertThat(cp.get("/v1/purges/1?wait=5s", TestControlPlane.READ).as(PurgeStatus.class).complete()).isTrue();
    }

    @Test
    void theControlPlaneRestartsWhileEdgesServeAndNoPurgeIsLost() throws Exception {
        warm("/p/1", "/p/2", "/q/1");
        AtomicBoolean go = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        ExecutorService load = Executors.newFixedThreadPool(2);
        for (Edge e : edges.values()) {
            load.execute(() -> {
                while (go.get()) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + e.node.port() + "/q/1"))
                                .header("Host", HOST).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200 && r.body().equals("body of /q/1")) {
                            ok.incrementAndGet();
                        } else {
                            failures.merge("status " + r.statusCode(), 1, Integer::sum);
                        }
                    } catch (Exception ex) {
                        failures.merge(ex.getClass().getSimpleName(), 1, Integer::sum);
                    }
                }
            });
        }
        purge("{\"kind\":\"url\",\"values\":[\"http://" + HOST + "/p/1\"]}");
        cp.stop();
        for (Edge e : edges.values()) {
            Await.until(e.id + " notices the control plane is gone", Duration.ofSeconds(10),
                    () -> e.agent.status().state() != FleetAgent.State.CONNECTED);
        }
        int whileDown = ok.get();
        Await.until("edges keep serving without the control plane", Duration.ofSeconds(10), () -> ok.get() > whileDown + 200);
        cp.start();
        for (Edge e : edges.values()) {
            Await.until(e.id + " reconnected", Duration.ofSeconds(15), () -> e.agent.status().state() == FleetAgent.State.CONNECTED);
        }
        PurgeStatus second = purge("{\"kind\":\"url\",\"values\":[\"http://" + HOST + "/p/2\"]}");
        assertThat(second.sequence()).as("the log continues where it was").isEqualTo(2);
        go.set(false);
        load.shutdown();
        assertThat(load.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(failures).as("failed requests while the control plane was away").isEmpty();
        assertEverywhere("/p/1", "fwd=miss");
        assertEverywhere("/p/2", "fwd=miss");
        assertEverywhere("/q/1", "; hit");
        for (Edge e : edges.values()) {
            assertThat(e.agent.status().purgeSequence()).isEqualTo(2);
        }
    }
}
