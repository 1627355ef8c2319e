package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.fleet.NodeView;
import dev.outpost.config.fleet.Purge;
import dev.outpost.config.fleet.PurgeStatus;
import dev.outpost.edge.fleet.FleetAgent;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge's FleetAgent against a real in-process control plane over loopback, with hooks that
 * record what the node was told to do and in which order.
 */
class FleetAgentControlPlaneTest {

    static final Duration T = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    ManualClock cpClock = new ManualClock();
    ManualClock nodeClock = new ManualClock();

    @RegisterExtension
    final ControlPlaneExtension cp = new ControlPlaneExtension(cpClock);
    final List<FleetAgent> agents = new ArrayList<>();

    @AfterEach
    void stopAgents() {
        agents.forEach(FleetAgent::close);
    }

    FleetAgent agent(String id, String region, RecordingHooks hooks) {
        FleetAgent a = FleetNodes.agent(cp, id, region, hooks, nodeClock, dir.resolve(id));
        agents.add(a);
        return a;
    }

    static void awaitConnected(FleetAgent a) {
        Await.until("agent connected: " + a.status(), T, () -> a.status().state() == FleetAgent.State.CONNECTED);
    }

    PurgeStatus purge(String json) {
        TestControlPlane.Resp r = cp.post("/v1/purges", TestControlPlane.WRITE, json);
        assertThat(r.status()).as(r.body()).isIn(200, 202);
        return r.as(PurgeStatus.class);
    }

    @Test
    void configIsAppliedAndAckedThenPurgesArriveInOrder() {
        assertThat(cp.post("/v1/configs", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V1).status()).isEqualTo(201);
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent a = agent("fra-1", "eu", hooks);
        assertThat(hooks.calls()).first().isEqualTo("hits:false");
        awaitConnected(a);
        assertThat(hooks.calls()).containsExactly("hits:false", "config:1", "hits:true");
        Await.until("config ack", T, () -> cp.get("/v1/nodes/fra-1", TestControlPlane.READ).as(NodeView.class).configVersion() == 1);
        NodeView v = cp.get("/v1/nodes/fra-1", TestControlPlane.READ).as(NodeView.class);
        assertThat(v.health()).isEqualTo(NodeView.Health.HEALTHY);
        assertThat(v.connected()).isTrue();
        assertThat(v.region()).isEqualTo("eu");
        assertThat(v.adminUrl()).isEqualTo("http://127.0.0.1:9080");

        purge("{\"kind\":\"url\",\"values\":[\"http://www.example.test/a\",\"http://www.example.test/b\"]}");
        purge("{\"kind\":\"prefix\",\"values\":[\"http://www.example.test/static/\"],\"soft\":true}");
        purge("{\"kind\":\"host\",\"values\":[\"www.example.test\"]}");
        purge("{\"kind\":\"tag\",\"values\":[\"product-42\",\"cat:shoes\"]}");
        PurgeStatus last = purge("{\"kind\":\"all\"}");
        Await.until("five purges applied", T, () -> a.status().purgeSequence() == 5);
        assertThat(hooks.purges()).containsExactly(
                "purge:url:http://www.example.test/a,http://www.example.test/b",
                "purge:prefix:http://www.example.test/static/:soft",
                "purge:host:www.example.test",
                "purge:tag:product-42,cat:shoes",
                "purge:all:");

        PurgeStatus done = cp.get("/v1/purges/" + last.sequence() + "?wait=5s", TestControlPlane.READ).as(PurgeStatus.class);
        assertThat(done.complete()).isTrue();
        assertThat(done.acked()).containsExactly("fra-1");
        assertThat(done.pending()).isEmpty();
        assertThat(cp.meters().get("outpost.purge.propagation").timer().count()).isEqualTo(5);

        // a new version is pushed live and applied without reconnecting
        cp.post("/v1/configs", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V2);
        Await.until("v2 applied", T, () -> a.status().configVersion() == 2);
        Await.until("config propagation recorded", T,
                () -> cp.meters().get("outpost.config.propagation").timer().count() == 1);
        assertThat(hooks.calls()).containsSubsequence("hits:true", "config:2");
        assertThat(hooks.calls()).filteredOn(c -> c.startsWith("hits")).containsExactly("hits:false", "hits:true");
    }

    @Test
    void aPurgeIsCompleteWhenEveryHealthyNodeAckedAndListsTheOthers() {
        RecordingHooks fast = new RecordingHooks();
        RecordingHooks slow = new RecordingHooks();
        FleetAgent a = agent("fast", "eu", fast);
        FleetAgent b = agent("slow", "us", slow);
        awaitConnected(a);
        awaitConnected(b);
        CountDownLatch release = new CountDownLatch(1);
        slow.holdPurges = release;

        TestControlPlane.Resp r = cp.post("/v1/purges?wait=300ms", TestControlPlane.WRITE, "{\"kind\":\"tag\",\"values\":[\"t1\"]}");
        assertThat(r.status()).isEqualTo(202);
        PurgeStatus s = r.as(PurgeStatus.class);
        assertThat(s.complete()).isFalse();
        assertThat(s.acked()).containsExactly("fast");
        assertThat(s.pending()).containsExactly("slow");

        release.countDown();
        PurgeStatus done = cp.get("/v1/purges/1?wait=5s", TestControlPlane.READ).as(PurgeStatus.class);
        assertThat(done.complete()).isTrue();
        assertThat(done.acked()).containsExactlyInAnyOrder("fast", "slow");
        assertThat(done.propagationSeconds()).isNotNull();
    }

    @Test
    void aNodeDownDuringPurgesReplaysThemInOrderBeforeItsFirstHit() {
        cp.post("/v1/configs", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V1);
        RecordingHooks first = new RecordingHooks();
        FleetAgent a = agent("ams-1", "eu", first);
        awaitConnected(a);
        purge("{\"kind\":\"url\",\"values\":[\"http://www.example.test/1\"]}");
        Await.until("purge 1 applied", T, () -> a.status().purgeSequence() == 1);
        a.close();
        Await.until("unsubscribed", T, () -> cp.cp().subscriptions() == 0);

        for (int i = 2; i <= 6; i++) {
            purge("{\"kind\":\"url\",\"values\":[\"http://www.example.test/" + i + "\"]}");
        }
        PurgeStatus waiting = cp.get("/v1/purges/6", TestControlPlane.READ).as(PurgeStatus.class);
        assertThat(waiting.complete()).isFalse();
        assertThat(waiting.pending()).containsExactly("ams-1");

        // missed heartbeats: unhealthy, and no longer holding purges up
        cpClock.advance(Duration.ofSeconds(16));
        cp.cp().sweep();
        PurgeStatus without = cp.get("/v1/purges/6", TestControlPlane.READ).as(PurgeStatus.class);
        assertThat(without.complete()).isTrue();
        assertThat(without.unhealthy()).containsExactly("ams-1");
        assertThat(cp.get("/v1/nodes/ams-1", TestControlPlane.READ).as(NodeView.class).health()).isEqualTo(NodeView.Health.UNHEALTHY);

        RecordingHooks second = new RecordingHooks();
        FleetAgent again = agent("ams-1", "eu", second);
        // start() applied the persisted config and turned hits off before returning
        assertThat(second.calls()).containsExactly("hits:false", "config:1");
        awaitConnected(again);
        assertThat(second.calls()).containsExactly("hits:false", "config:1",
                "purge:url:http://www.example.test/2", "purge:url:http://www.example.test/3",
                "purge:url:http://www.example.test/4", "purge:url:http://www.example.test/5",
                "purge:url:http://www.example.test/6", "hits:true");
        Await.until("healthy again", T, () -> cp.get("/v1/nodes/ams-1", TestControlPlane.READ).as(NodeView.class).purgeSequence() == 6);
        assertThat(cp.get("/v1/nodes/ams-1", TestControlPlane.READ).as(NodeView.class).health()).isEqualTo(NodeView.Health.HEALTHY);
    }

    @Test
    void theControlPlaneRestartedMidStreamLosesNoPurge() {
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent a = agent("par-1", "eu", hooks);
        awaitConnected(a);
        purge("{\"kind\":\"tag\",\"values\":[\"a\"]}");
        purge("{\"kind\":\"tag\",\"values\":[\"b\"]}");
        Await.until("two purges", T, () -> a.status().purgeSequence() == 2);

        cp.stop();
        Await.until("agent sees the loss", T, () -> a.status().state() != FleetAgent.State.CONNECTED);
        assertThat(hooks.hits).as("within the bound, serve keeps hits on").isTrue();

        cp.start();
        awaitConnected(a);
        purge("{\"kind\":\"tag\",\"values\":[\"c\"]}");
        purge("{\"kind\":\"tag\",\"values\":[\"d\"]}");
        Await.until("four purges", T, () -> a.status().purgeSequence() == 4);
        assertThat(hooks.purges()).containsExactly("purge:tag:a", "purge:tag:b", "purge:tag:c", "purge:tag:d");
        assertThat(cp.cp().purges().head()).isEqualTo(4);
        assertThat(cp.cp().registry().node("par-1")).isPresent();
        // the reconnect turned hits off until it had caught up, then on again
        assertThat(hooks.calls()).filteredOn(c -> c.startsWith("hits")).endsWith("hits:false", "hits:true");
    }

    @Test
    void revalidatePolicyTurnsHitsOffPastTheBoundUntilCaughtUp() {
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent a = FleetNodes.agent(cp.url(), TestControlPlane.NODE, "lon-1", "eu", "revalidate", "1m",
                hooks, nodeClock, dir.resolve("lon-1"));
        agents.add(a);
        awaitConnected(a);
        cp.stop();
        Await.until("disconnected", T, () -> a.status().state() == FleetAgent.State.DISCONNECTED);
        nodeClock.advance(Duration.ofSeconds(30));
        assertThat(hooks.hits).isTrue();
        nodeClock.advance(Duration.ofSeconds(31));
        Await.until("bound exceeded", T, () -> a.status().boundExceeded());
        assertThat(hooks.hits).isFalse();
        // a purge made while the node is cut off: written to the log before the control plane
        // listens again, so the node can only learn of it as a replay on reconnecting
        cp.open().cp().purges().accept(new Purge(Purge.Kind.ALL, List.of(), false));
        cp.start();
        awaitConnected(a);
        assertThat(hooks.hits).isTrue();
        assertThat(a.status().purgeSequence()).isEqualTo(1);
        assertThat(a.status().boundExceeded()).isFalse();
        // off past the bound, the reconnect kept them off, and on only once the missed purge was applied
        assertThat(hooks.calls()).containsExactly("hits:false", "hits:true", "hits:false", "purge:all:", "hits:true");
    }

    @Test
    void whoeverSeesTheAgentDisconnectedSeesSinceWhen() throws Exception {
        // the node's clock stops the agent's loop the moment it reads the time of the loss
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean();
        InstantSource gated = () -> {
            if (Thread.currentThread().getName().equals("fleet-agent") && armed.compareAndSet(true, false)) {
                reading.countDown();
                try {
                    go.await(T.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return nodeClock.instant();
        };
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent a = FleetNodes.agent(cp.url(), TestControlPlane.NODE, "dub-1", "eu", "revalidate", "1m",
                hooks, gated, dir.resolve("dub-1"));
        agents.add(a);
        awaitConnected(a);
        armed.set(true);
        cp.stop();
        assertThat(reading.await(T.toMillis(), TimeUnit.MILLISECONDS)).as("loop read the clock").isTrue();
        FleetAgent.Status mid = a.status();
        go.countDown();
        // a status saying DISCONNECTED without a time would let a caller's clock run ahead of the
        // bound's start, and the bound would be judged from a later instant than the loss
        assertThat(mid.state() != FleetAgent.State.DISCONNECTED || mid.disconnectedSince() != null)
                .as("status while the loss is being stamped: %s", mid).isTrue();
        Await.until("disconnected", T, () -> a.status().state() == FleetAgent.State.DISCONNECTED);
        assertThat(a.status().disconnectedSince()).isEqualTo(nodeClock.instant());
        nodeClock.advance(Duration.ofSeconds(61));
        Await.until("bound exceeded", T, () -> a.status().boundExceeded());
        assertThat(hooks.hits).isFalse();
    }

    @Test
    void aRefusedConfigIsReportedAndTheNodeKeepsItsVersion() {
        cp.post("/v1/configs", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V1);
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent a = agent("ber-1", "eu", hooks);
        awaitConnected(a);
        hooks.refuseHost = "bad.example.test";
        cp.post("/v1/configs", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V1.replace("www.example.test", "bad.example.test"));
        Await.until("refusal reported", T,
                () -> cp.get("/v1/nodes/ber-1", TestControlPlane.READ).as(NodeView.class).configError() != null);
        NodeView v = cp.get("/v1/nodes/ber-1", TestControlPlane.READ).as(NodeView.class);
        assertThat(v.configVersion()).isEqualTo(1);
        assertThat(v.desiredConfigVersion()).isEqualTo(2);
        assertThat(v.configError()).contains("v2").contains("refuses bad.example.test");
        assertThat(a.status().configVersion()).isEqualTo(1);
        // a region-targeted version reaches only that region
        RecordingHooks us = new RecordingHooks();
        FleetAgent b = agent("nyc-1", "us", us);
        awaitConnected(b);
        cp.post("/v1/configs?target=region=us", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V2);
        Await.until("us got v3", T, () -> b.status().configVersion() == 3);
        assertThat(a.status().configVersion()).isEqualTo(1);
    }

    @Test
    void aBadTokenIsRefusedAndTheNodeNeverAllowsHits() {
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent a = FleetNodes.agent(cp.url(), "not-the-token", "bad-1", "eu", "revalidate", "5m",
                hooks, nodeClock, dir.resolve("bad-1"));
        agents.add(a);
        Await.until("refused", T, () -> a.status().lastError() != null);
        assertThat(a.status().lastError()).contains("401");
        assertThat(hooks.hits).isFalse();
        assertThat(cp.cp().registry().nodes()).isEmpty();
    }

    @Test
    void heartbeatsCarryStatsIntoFleetStats() {
        RecordingHooks eu = new RecordingHooks();
        RecordingHooks us = new RecordingHooks();
        awaitConnected(agent("eu-1", "eu", eu));
        awaitConnected(agent("us-1", "us", us));
        Await.until("stats arrived", T, () -> cp.cp().registry().stats().size() == 2);
        var stats = cp.get("/v1/stats", TestControlPlane.READ).as(dev.outpost.config.fleet.FleetStats.class);
        assertThat(stats.nodes()).extracting(dev.outpost.config.fleet.TrafficSummary::name).containsExactlyInAnyOrder("eu-1", "us-1");
        assertThat(stats.regions()).extracting(dev.outpost.config.fleet.TrafficSummary::name).containsExactly("eu", "us");
        assertThat(stats.fleet().requests()).isEqualTo(200);
        assertThat(stats.fleet().hitRatio()).isEqualTo(0.8);
        assertThat(stats.fleet().byteHitRatio()).isEqualTo(0.8);
        assertThat(stats.fleet().originOffload()).isEqualTo(0.8);
        var euOnly = cp.get("/v1/stats?region=eu", TestControlPlane.READ).as(dev.outpost.config.fleet.FleetStats.class);
        assertThat(euOnly.nodes()).extracting(dev.outpost.config.fleet.TrafficSummary::name).containsExactly("eu-1");
    }

    @Test
    void aSecondNodeUnderALiveNodesIdIsRefusedAndToldToSetNodeId() {
        FleetAgent first = agent("twin", "eu", new RecordingHooks());
        awaitConnected(first);
        // another node (its own data directory) given the same id
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent second = FleetNodes.agent(cp, "twin", "eu", hooks, nodeClock, dir.resolve("twin-elsewhere"));
        agents.add(second);
        Await.until("second refused: " + second.status(), T, () -> second.status().state() == FleetAgent.State.REFUSED);
        assertThat(second.status().lastError()).contains("node id 'twin' is taken by another live node").contains("--node-id");
        assertThat(hooks.calls()).anySatisfy(c -> assertThat(c).startsWith("refused:node id 'twin'"));
        assertThat(hooks.hits).as("a refused node never serves hits").isFalse();
        assertThat(first.status().state()).isEqualTo(FleetAgent.State.CONNECTED);
        // the first node restarting on its own data directory is no collision
        first.close();
        agents.remove(first);
        FleetAgent restarted = agent("twin", "eu", new RecordingHooks());
        awaitConnected(restarted);
    }
}
