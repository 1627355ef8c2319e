package dev.outpost.edge.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.OriginConfig;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.Purge;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.Ports;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent on its own: persisted state, start-up, and the disconnected policies while the
 * control plane cannot be reached. (Against a real control plane: FleetAgentControlPlaneTest in
 * the control-plane module, which can depend on this one.)
 */
class FleetAgentTest {

    @TempDir
    Path dir;
    final ManualClock clock = new ManualClock();

    static final class Hooks implements FleetHooks {
        final List<String> calls = new ArrayList<>();
        volatile boolean hits = true;

        @Override
        public synchronized void applyConfig(long version, DeliveryConfig config) {
            calls.add("config:" + version + ":" + config.hosts());
        }

        @Override
        public synchronized void applyPurge(Purge purge) {
            calls.add("purge:" + purge.kind());
        }

        @Override
        public NodeStats stats() {
            return null;
        }

        @Override
        public synchronized void hitsAllowed(boolean allowed) {
            hits = allowed;
            calls.add("hits:" + allowed);
        }

        synchronized List<String> calls() {
            return List.copyOf(calls);
        }
    }

    NodeConfig node(String controlPlane, String policy) {
        Map<String, Object> flags = new LinkedHashMap<>();
        if (controlPlane != null) {
            flags.put("control-plane", controlPlane);
            flags.put("token", "node-token-123");
        } else {
            flags.put("origin", "http://origin.example.test");
        }
        flags.put("node-id", "edge-t");
        flags.put("heartbeat-interval", "100ms");
        flags.put("disconnected-bound", "1m");
        flags.put("disconnected-policy", policy);
        return ConfigReader.node().read(null, flags).value();
    }

    static DeliveryConfig config(String host) {
        return new DeliveryConfig(List.of(host), null, List.of(OriginConfig.single("default", "http://o.example.test")), null, null);
    }

    String unreachable() {
        return "http://127.0.0.1:" + Ports.free();
    }

    @Test
    void stateIsPersistedWholeAndReadBack() throws Exception {
        new FleetState(4, config("www.example.test"), 17).save(dir);
        FleetState back = FleetState.load(dir);
        assertThat(back.configVersion()).isEqualTo(4);
        assertThat(back.purgeSequence()).isEqualTo(17);
        assertThat(back.config().hosts()).containsExactly("www.example.test");
        assertThat(Files.exists(dir.resolve(FleetState.FILE + ".tmp"))).isFalse();
        assertThat(FleetState.load(dir.resolve("nothing-here"))).isEqualTo(FleetState.EMPTY);
    }

    @Test
    void standaloneAppliesItsPersistedConfigAndNeverTouchesHits() throws Exception {
        new FleetState(2, config("a.example.test"), 5).save(dir);
        Hooks hooks = new Hooks();
        try (FleetAgent a = new FleetAgent(node(null, "serve"), hooks, clock, dir, null)) {
            a.start();
            assertThat(a.status().state()).isEqualTo(FleetAgent.State.STANDALONE);
            assertThat(hooks.calls()).containsExactly("config:2:[a.example.test]");
        }
    }

    @Test
    void startWithTheControlPlaneDownServesTheLastConfigWithHitsOffThenServePolicyResumesHits() throws Exception {
        new FleetState(3, config("b.example.test"), 9).save(dir);
        Hooks hooks = new Hooks();
        try (FleetAgent a = new FleetAgent(node(unreachable(), "serve"), hooks, clock, dir, "http://127.0.0.1:9080")) {
            a.start();
            assertThat(hooks.calls()).containsExactly("hits:false", "config:3:[b.example.test]");
            Await.until("connection refused seen", Duration.ofSeconds(5), () -> a.status().lastError() != null);
            assertThat(a.status().state()).isIn(FleetAgent.State.DISCONNECTED, FleetAgent.State.CONNECTING);
            assertThat(a.status().configVersion()).isEqualTo(3);
            assertThat(a.status().purgeSequence()).isEqualTo(9);
            clock.advance(Duration.ofSeconds(59));
            assertThat(hooks.hits).isFalse();
            clock.advance(Duration.ofSeconds(2));
            Await.until("bound exceeded", Duration.ofSeconds(5), () -> a.status().boundExceeded());
            assertThat(hooks.hits).as("serve: hits back on, purges may be missed").isTrue();
        }
    }

    @Test
    void revalidatePolicyKeepsHitsOffWhileCutOff() {
        Hooks hooks = new Hooks();
        try (FleetAgent a = new FleetAgent(node(unreachable(), "revalidate"), hooks, clock, dir, null)) {
            a.start();
            clock.advance(Duration.ofMinutes(2));
            Await.until("bound exceeded", Duration.ofSeconds(5), () -> a.status().boundExceeded());
            assertThat(hooks.hits).isFalse();
            assertThat(hooks.calls()).containsExactly("hits:false");
        }
    }

    @Test
    void anUnreadableStateFileMeansStartingFromNothing() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(FleetState.FILE), "{\"config-version\": 3, \"purge-seq");
        Hooks hooks = new Hooks();
        try (FleetAgent a = new FleetAgent(node(null, "serve"), hooks, clock, dir, null)) {
            a.start();
            assertThat(a.status().configVersion()).isZero();
            assertThat(a.status().purgeSequence()).isZero();
            assertThat(hooks.calls()).isEmpty();
        }
    }

    @Test
    void serverSentEventsAreParsedWithCommentsAndMultiLineData() throws Exception {
        String text = ": keep-alive\n\nevent: purge\nid: 7\ndata: {\"a\":\ndata: 1}\n\n:ping\ndata: plain\n\nevent: synced\ndata:{}\r\n\r\n";
        int[] bytes = {0};
        SseReader r = new SseReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), () -> bytes[0]++);
        assertThat(r.next()).isEqualTo(new SseReader.Event("purge", "{\"a\":\n1}", "7"));
        assertThat(r.next()).isEqualTo(new SseReader.Event("message", "plain", null));
        assertThat(r.next()).isEqualTo(new SseReader.Event("synced", "{}", null));
        assertThat(r.next()).isNull();
        assertThat(bytes[0]).isGreaterThan(5);
    }
}
