package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.HostPort;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.RateLimit;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.Purge;
import dev.outpost.controlplane.ControlPlane;
import dev.outpost.edge.fleet.FleetAgent;
import dev.outpost.edge.fleet.FleetHooks;
import dev.outpost.testing.Await;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every CLI command end to end against a real control plane (and real fleet agents) on loopback. */
class OutpostCliTest {

    static final String TOKEN = "cli-test-token-all";
    static final String READ = "cli-test-token-read";

    @TempDir
    Path dir;
    ControlPlane cp;
    String url;
    final List<FleetAgent> agents = new ArrayList<>();
    final Map<String, String> env = new HashMap<>();

    record Run(int code, String out, String err) {
        JsonNode json() {
            try {
                return OutpostJson.json().readTree(out);
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON: " + out, e);
            }
        }
    }

    @BeforeEach
    void start() {
        ControlPlaneConfig c = new ControlPlaneConfig(new HostPort("127.0.0.1", 0), null, null, null,
                dir.resolve("cp").toString(), TOKEN, READ, null, null, null, Duration.ofSeconds(15),
                new RateLimit(1000.0, 1000, null), null, null, Duration.ofMillis(200), Duration.ofSeconds(1));
        cp = new ControlPlane(c, InstantSource.system(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start();
        url = cp.url().toString();
    }

    @AfterEach
    void stop() {
        agents.forEach(FleetAgent::close);
        cp.close();
    }

    Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = OutpostCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env, dir.resolve("home"));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The command with the connection flags appended. */
    Run op(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--control-plane", url, "--token", TOKEN));
        return cli(a.toArray(String[]::new));
    }

    static final class Hooks implements FleetHooks {
        final List<Purge> purges = new ArrayList<>();
        volatile CountDownLatch hold;

        @Override
        public void applyConfig(long version, DeliveryConfig config) {
        }

        @Override
        public void applyPurge(Purge purge) {
            CountDownLatch h = hold;
            if (h != null) {
                try {
                    h.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (purges) {
                purges.add(purge);
            }
        }

        @Override
        public NodeStats stats() {
            return new NodeStats(1000, 900, 100, 0, 0, 0, 0, 1_000_000, 950_000, 100, 50_000, 0.9, 0.95, 0.9, Map.of());
        }

        @Override
        public void hitsAllowed(boolean allowed) {
        }
    }

    FleetAgent node(String id, String region, Hooks hooks) {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("control-plane", url);
        flags.put("token", TOKEN);
        flags.put("node-id", id);
        flags.put("region", region);
        flags.put("heartbeat-interval", "100ms");
        FleetAgent a = new FleetAgent(ConfigReader.node().read(null, flags).value(), hooks, InstantSource.system(),
                dir.resolve(id), "http://127.0.0.1:9080");
        agents.add(a);
        a.start();
        Await.until(id + " connected", Duration.ofSeconds(10), () -> a.status().state() == FleetAgent.State.CONNECTED);
        return a;
    }

    Path file(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void purgesOfEveryKindReachTheNodesAndWaitShowsPropagation() {
        Hooks h1 = new Hooks();
        Hooks h2 = new Hooks();
        node("edge-a", "eu", h1);
        node("edge-b", "us", h2);

        Run r = op("purge", "url", "https://www.example.test/a.css", "https://www.example.test/b.css", "--wait");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("purge #1 complete").contains("2 nodes acked in");
        assertThat(r.err()).contains("nodes acked");

        assertThat(op("purge", "prefix", "https://www.example.test/static/", "--soft").code()).isZero();
        assertThat(op("purge", "tag", "product-1", "sale", "--wait").code()).isZero();
        assertThat(op("purge", "host", "www.example.test", "--wait").code()).isZero();
        Run all = op("purge", "all", "--yes", "--wait", "--output", "json");
        assertThat(all.code()).isZero();
        assertThat(all.json().get("complete").asBoolean()).isTrue();
        assertThat(all.json().get("acked")).hasSize(2);

        for (Hooks h : List.of(h1, h2)) {
            Await.until("five purges", Duration.ofSeconds(5), () -> {
                synchronized (h.purges) {
                    return h.purges.size() == 5;
                }
            });
            assertThat(h.purges).extracting(Purge::kind).containsExactly(
                    Purge.Kind.URL, Purge.Kind.PREFIX, Purge.Kind.TAG, Purge.Kind.HOST, Purge.Kind.ALL);
            assertThat(h.purges.get(1).soft()).isTrue();
            assertThat(h.purges.get(2).values()).containsExactly("product-1", "sale");
        }
    }

    @Test
    void waitExitsNonZeroWhenANodeHasNotAckedInTime() {
        Hooks stuck = new Hooks();
        node("edge-ok", "eu", new Hooks());
        node("edge-stuck", "eu", stuck);
        stuck.hold = new CountDownLatch(1);
        try {
            Run r = op("purge", "url", "https://www.example.test/x", "--wait", "--timeout", "500ms");
            assertThat(r.code()).isEqualTo(3);
            assertThat(r.err()).contains("not acked by every node within 500ms").contains("edge-stuck");
        } finally {
            stuck.hold.countDown();
        }
    }

    @Test
    void configCommandsEndToEnd() throws Exception {
        String v1 = """
                origins:
                  - name: default
                    servers: [{url: "http://origin.example.test"}]
                rules:
                  - match: {path-prefix: /static/}
                    ttl: 1h
                """;
        Path f1 = file("v1.yaml", v1);
        Path f2 = file("v2.yaml", v1.replace("1h", "2h"));
        Path bad = file("bad.yaml", v1.replace("ttl: 1h", "ttl: 1h\n    origin: elsewhere"));

        Run valid = cli("config", "validate", f1.toString());
        assertThat(valid.code()).isZero();
        assertThat(valid.out()).contains("valid");
        Run invalid = cli("config", "validate", bad.toString());
        assertThat(invalid.code()).isEqualTo(1);
        assertThat(invalid.err()).contains("bad.yaml:7:").contains("rules[0].origin").contains("unknown origin 'elsewhere'");
        assertThat(invalid.err()).doesNotContain("Exception").doesNotContain("\tat ");

        Run push1 = op("config", "push", f1.toString(), "--comment", "first");
        assertThat(push1.code()).as(push1.err()).isZero();
        assertThat(push1.out()).contains("pushed config v1 for all");
        Run push2 = op("config", "push", f2.toString(), "--target", "region=eu");
        assertThat(push2.out()).contains("pushed config v2 for region=eu");
        assertThat(op("config", "push", bad.toString()).code()).isEqualTo(1);
        Run badTarget = op("config", "push", f1.toString(), "--target", "moon=1");
        assertThat(badTarget.code()).isEqualTo(2);
        assertThat(badTarget.err()).contains("not a target");

        Run diff = op("config", "diff", "1", "2");
        assertThat(diff.out().strip()).isEqualTo("~ rules[0].ttl: 1h -> 2h");
        Run rollback = op("config", "rollback", "1");
        assertThat(rollback.out()).contains("v3 is a copy of v1 for all");
        Run show = op("config", "show");
        assertThat(show.out()).startsWith("# config v3 for all").contains("rollback of v1").contains("ttl: 1h");
        Run show2 = op("config", "show", "2", "-o", "json");
        assertThat(show2.json().get("config").get("rules").get(0).get("ttl").asText()).isEqualTo("2h");
        Run history = op("config", "history");
        assertThat(history.out().lines().toList()).hasSize(4);
        assertThat(history.out()).contains("VERSION").contains("region=eu").contains("first");
        Run historyJson = op("config", "history", "--output", "json");
        assertThat(historyJson.json()).hasSize(3);
        assertThat(op("config", "show", "9").err()).contains("no config version 9");
    }

    @Test
    void nodesDrainAndStats() {
        node("edge-1", "eu", new Hooks());
        node("edge-2", "us", new Hooks());
        Await.until("stats", Duration.ofSeconds(5), () -> cp.registry().stats().size() == 2);
        Run nodes = op("nodes");
        assertThat(nodes.code()).isZero();
        assertThat(nodes.out()).contains("ID").contains("HEALTH").contains("edge-1").contains("healthy").contains("90.0%");
        assertThat(op("nodes", "drain", "edge-1").out()).contains("node edge-1 drained");
        JsonNode list = op("nodes", "-o", "json").json();
        assertThat(list.get(0).get("drained").asBoolean()).isTrue();
        assertThat(op("nodes", "undrain", "edge-1").code()).isZero();
        assertThat(cp.registry().node("edge-1").orElseThrow().drained()).isFalse();
        Run unknown = op("nodes", "drain", "edge-9");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("outpost: not-found (404): no node 'edge-9'" + System.lineSeparator());

        Run dns = op("dns", "resolve", "www.cdn.test", "--client", "203.0.113.7");
        assertThat(dns.code()).as("dns is a subcommand; this control plane has no zone").isEqualTo(1);
        assertThat(dns.err()).contains("dns-off");

        Run stats = op("stats");
        assertThat(stats.out()).contains("region").contains("fleet").contains("90.0%").contains("95.0%");
        Run eu = op("stats", "--region", "eu", "--output", "json");
        assertThat(eu.json().get("nodes")).hasSize(1);
        assertThat(eu.json().get("fleet").get("requests").asLong()).isEqualTo(1000);
    }

    @Test
    void settingsComeFromFlagsThenEnvironmentThenFile() throws Exception {
        Files.createDirectories(dir.resolve("home/.config/outpost"));
        Files.writeString(dir.resolve("home/.config/outpost/cli.yaml"), "control-plane: " + url + "\ntoken: " + READ + "\n");
        assertThat(cli("nodes").code()).isZero();                       // file: read token suffices
        assertThat(cli("purge", "all", "--yes").err()).contains("403"); // file's read token may not purge
        env.put("OUTPOST_TOKEN", TOKEN);
        assertThat(cli("purge", "all", "--yes").code()).isZero();      // environment wins over the file
        assertThat(cli("purge", "all", "--yes", "--token", "wrong-token-xyz").err())
                .contains("refused the token (401");                     // flag wins over the environment
        env.put("OUTPOST_CONTROL_PLANE", "http://127.0.0.1:1");
        assertThat(cli("nodes").err()).contains("cannot reach the control plane at http://127.0.0.1:1");
        Files.writeString(dir.resolve("home/.config/outpost/cli.yaml"), "control-plan: x\n");
        env.clear();
        Run broken = cli("nodes");
        assertThat(broken.code()).isEqualTo(1);
        assertThat(broken.err()).contains("cli.yaml").contains("control-plan");
    }

    @Test
    void everyErrorIsOneLineWithoutAStackTrace() {
        List<Run> runs = List.of(
                cli("nodes", "--control-plane", "http://127.0.0.1:1", "--token", "x"),
                cli("nodes", "--control-plane", "not a url", "--token", "x"),
                op("purge", "url", "www.example.test/no-scheme"),
                op("purge", "tag", "has space"),
                op("purge", "tag", "a,b"),
                op("purge", "all"),
                op("purge", "url", "http://x.test/", "--timeout", "soon", "--wait"),
                op("config", "diff", "one", "2"),
                op("frobnicate"),
                cli("stats", "--control-plane", url, "--token", "bad-token-123"),
                cli("stats"));
        for (Run r : runs) {
            assertThat(r.code()).as(r.err()).isIn(1, 2);
            assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).startsWith("outpost: ").doesNotContain("Exception").doesNotContain("\tat ");
        }
        assertThat(runs.get(0).err()).contains("connection refused");
        assertThat(runs.get(2).err()).contains("malformed URL");
        assertThat(runs.get(3).err()).contains("unknown tag syntax");
        assertThat(runs.get(9).err()).contains("401");
        assertThat(cli("--help").out()).contains("OUTPOST_CONTROL_PLANE").contains("cli.yaml");
    }
}
