package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.Coordinates;
import dev.outpost.config.DnsSettings;
import dev.outpost.config.HostPort;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.fleet.Heartbeat;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.edge.fleet.FleetAgent;
import dev.outpost.testing.Await;
import dev.outpost.testing.EtcdCluster;
import dev.outpost.testing.FreezingProxy;
import dev.outpost.testing.ManualClock;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Three control-plane replicas on one real etcd serve one fleet: purges accepted by any replica
 * reach nodes subscribed to any replica in one order; a config version is set once (the losing
 * replica answers 409) and reaches nodes on every replica; every replica gives the same DNS
 * answer, drops an edge whose heartbeats stopped at the same clock time, and answers SERVFAIL
 * once it has been cut off from etcd for longer than the heartbeat timeout.
 */
class ReplicasTest {

    static final Duration T = Duration.ofSeconds(30);
    static final String ZONE = "cdn.outpost.test";

    @TempDir
    static Path etcdDir;
    static EtcdCluster etcd;

    @TempDir
    Path dir;
    final ManualClock cpClock = new ManualClock();
    final ManualClock nodeClock = new ManualClock();
    final List<TestControlPlane> replicas = new ArrayList<>();
    final List<FleetAgent> agents = new ArrayList<>();

    @BeforeAll
    static void startEtcd() {
        EtcdCluster.assumeAvailable();
        etcd = EtcdCluster.start(etcdDir, 1);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    /** A replica's config: DNS on a free port for {@link #ZONE}, state in etcd under {@code prefix}. */
    static ControlPlaneConfig replica(ControlPlaneConfig c, List<String> endpoints, String prefix) {
        return new ControlPlaneConfig(c.listen(), new HostPort("127.0.0.1", 0), ZONE, null, c.dataDir(), c.token(),
                c.readToken(), c.writeToken(), new DnsSettings(null, null, 2, null, null, null, null, null, null, null,
                        null, null, null, null, null, null, null, null, null), c.nodeToken(), c.heartbeatTimeout(), c.purgeRateLimit(),
                c.maxRequestBody(), c.tls(), c.streamKeepalive(), c.shutdownGrace()).withEtcd(endpoints, prefix);
    }

    @BeforeEach
    void startReplicas() {
        String prefix = "/replicas-" + UUID.randomUUID() + "/";
        for (int i = 0; i < 3; i++) {
            replicas.add(new TestControlPlane(dir.resolve("cp" + i), cpClock,
                    c -> replica(c, etcd.endpoints(), prefix)).start());
        }
    }

    @AfterEach
    void stop() {
        agents.forEach(FleetAgent::close);
        replicas.forEach(TestControlPlane::close);
    }

    FleetAgent agent(TestControlPlane cp, String id, RecordingHooks hooks) {
        FleetAgent a = FleetNodes.agent(cp, id, "eu", hooks, nodeClock, dir.resolve(id));
        agents.add(a);
        return a;
    }

    @Test
    void purgesAcceptedByAnyReplicaReachNodesOnEveryReplicaInOneOrder() {
        RecordingHooks onFirst = new RecordingHooks();
        RecordingHooks onLast = new RecordingHooks();
        FleetAgent a = agent(replicas.get(0), "fra-1", onFirst);
        FleetAgent b = agent(replicas.get(2), "fra-2", onLast);
        Await.until("both connected", T, () -> a.status().state() == FleetAgent.State.CONNECTED
                && b.status().state() == FleetAgent.State.CONNECTED);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            TestControlPlane via = replicas.get(i % 3);
            TestControlPlane.Resp r = via.post("/v1/purges", TestControlPlane.WRITE,
                    "{\"kind\":\"url\",\"values\":[\"http://www.example.test/" + i + "\"]}");
            assertThat(r.status()).as(r.body()).isIn(200, 202);
            assertThat(r.body()).contains("\"sequence\":" + (i + 1));
            expected.add("purge:url:http://www.example.test/" + i);
        }
        Await.until("every purge on both nodes", T, () -> onFirst.purges().size() == 12 && onLast.purges().size() == 12);
        assertThat(onFirst.purges()).containsExactlyElementsOf(expected);
        assertThat(onLast.purges()).containsExactlyElementsOf(expected);
        for (TestControlPlane cp : replicas) {
            assertThat(cp.cp().purges().head()).isEqualTo(12);
            Await.until("acks of both nodes seen by every replica", T, () -> cp.cp().registry().nodes().stream()
                    .filter(n -> n.purgeSequence() == 12).count() == 2);
        }
    }

    @Test
    void aConfigVersionIsSetOnceTheLosingReplicaAnswers409AndNodesOnEveryReplicaGetIt() {
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent a = agent(replicas.get(2), "fra-1", hooks);
        Await.until("connected", T, () -> a.status().state() == FleetAgent.State.CONNECTED);
        assertThat(replicas.get(0).post("/v1/configs", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V1).status()).isEqualTo(201);
        TestControlPlane.Resp won = replicas.get(1).post("/v1/configs?base-version=1", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V2);
        TestControlPlane.Resp lost = replicas.get(2).post("/v1/configs?base-version=1", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V2);
        assertThat(won.status()).as(won.body()).isEqualTo(201);
        assertThat(lost.status()).as(lost.body()).isEqualTo(409);
        Await.until("the node on replica 2 runs v2 (pushed through replica 1)", T, () -> hooks.configVersion == 2);
        for (TestControlPlane cp : replicas) {
            Await.until("every replica knows v2", T, () -> cp.cp().configs().newest().map(v -> v.version()).orElse(0L) == 2);
            assertThat(cp.cp().configs().history()).hasSize(2);
        }
    }

    @Test
    void everyReplicaAnswersDnsAlikeDropsAStoppedEdgeAtOnceAndRefusesFromAStaleView() throws Exception {
        register("fra-1", "192.0.2.10", "50.1,8.7");
        register("nyc-1", "192.0.2.20", "40.7,-74.0");
        replicas.forEach(cp -> cp.cp().sweep());
        for (TestControlPlane cp : replicas) {
            assertThat(answer(cp)).containsExactlyInAnyOrder("192.0.2.10", "192.0.2.20");
        }
        // nyc-1 stops; fra-1 keeps heartbeating through another replica; one timeout later...
        cpClock.advance(Duration.ofSeconds(16));
        assertThat(replicas.get(1).post("/v1/nodes/fra-1/heartbeat", TestControlPlane.NODE, new Heartbeat(null, 0L, 0L)).status())
                .isIn(200, 204);
        replicas.forEach(cp -> cp.cp().sweep());
        for (TestControlPlane cp : replicas) {
            assertThat(cp.cp().registry().node("nyc-1").orElseThrow().health()).isEqualTo(NodeView.Health.UNHEALTHY);
            assertThat(cp.cp().registry().node("fra-1").orElseThrow().health()).isEqualTo(NodeView.Health.HEALTHY);
            assertThat(answer(cp)).containsExactly("192.0.2.10");
        }
        // etcd goes away: within one heartbeat timeout the replicas still answer from their view...
        etcd.kill(0);
        try {
            cpClock.advance(Duration.ofSeconds(10));
            replicas.forEach(cp -> cp.cp().sweep());
            for (TestControlPlane cp : replicas) {
                assertThat(answer(cp)).containsExactly("192.0.2.10");
            }
            // ...and past it they refuse to steer from a view they cannot refresh
            cpClock.advance(Duration.ofSeconds(6));
            for (TestControlPlane cp : replicas) {
                assertThat(query(cp).getRcode()).isEqualTo(Rcode.SERVFAIL);
            }
        } finally {
            etcd.restart(0);
        }
        for (TestControlPlane cp : replicas) {
            Await.until("the replica reads etcd again", T, () -> {
                cp.cp().sweep();
                return cp.cp().registry().current();
            });
            assertThat(query(cp).getRcode()).isEqualTo(Rcode.NOERROR);
        }
    }

    /** The edges' heartbeat interval in the failover tests: the default, within which an edge must be on another replica. */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);

    @Test
    void anEdgeMovesToAnotherReplicaWhenItsReplicaStopsAndMissesNothing() {
        String urls = String.join(",", replicas.stream().map(TestControlPlane::url).toList());
        RecordingHooks hooks = new RecordingHooks();
        FleetAgent a = FleetNodes.agent(FleetNodes.node(urls, TestControlPlane.NODE, "fra-1", "eu", "serve", "5m", "5s"),
                hooks, nodeClock, dir.resolve("fra-1"));
        agents.add(a);
        Await.until("connected", T, () -> a.status().state() == FleetAgent.State.CONNECTED);
        List<String> expected = new ArrayList<>();
        List<Long> failoverMillis = new ArrayList<>();
        int n = 0;
        for (int round = 0; round < 3; round++) {
            TestControlPlane used = Await.value("the replica the edge uses", T,
                    () -> replicas.stream().filter(cp -> cp.cp() != null && cp.cp().subscriptions() == 1).findFirst().orElse(null));
            TestControlPlane other = replicas.stream().filter(cp -> cp != used).findFirst().orElseThrow();
            for (int i = 0; i < 3; i++, n++) {
                expected.add(purge(other, n));
            }
            long t0 = System.nanoTime();
            used.stop();
            for (int i = 0; i < 3; i++, n++) {
                expected.add(purge(other, n)); // while the edge moves
            }
            Await.until("the edge on another replica", T, () -> a.status().state() == FleetAgent.State.CONNECTED
                    && replicas.stream().anyMatch(cp -> cp != used && cp.cp() != null && cp.cp().subscriptions() == 1));
            failoverMillis.add((System.nanoTime() - t0) / 1_000_000);
            used.start();
        }
        Await.until("every purge applied", T, () -> hooks.purges().size() >= expected.size());
        assertThat(hooks.purges()).containsExactlyElementsOf(expected);
        System.out.println("failover of the edge's stream (ms, in-process replicas): " + failoverMillis);
        assertThat(failoverMillis).as("stop to subscribed and caught up on another replica, within one heartbeat interval")
                .allMatch(ms -> ms < HEARTBEAT.toMillis());
    }

    /**
     * A replica that hangs (its port accepts connections, reads requests, answers nothing and
     * closes nothing): the edge's next heartbeat goes unanswered, and within one heartbeat
     * interval of that heartbeat the edge is subscribed on another replica and has applied every
     * purge accepted meanwhile, once each, in order.
     */
    @Test
    void anEdgeLeavesAReplicaThatHangsAndIsCaughtUpOnAnotherWithinOneHeartbeatInterval() {
        try (FreezingProxy hung = FreezingProxy.start(replicas.get(0).cp().address())) {
            String urls = hung.url() + "," + replicas.get(1).url() + "," + replicas.get(2).url();
            RecordingHooks hooks = new RecordingHooks();
            FleetAgent a = FleetNodes.agent(FleetNodes.node(urls, TestControlPlane.NODE, "fra-1", "eu", "serve", "5m", "5s"),
                    hooks, nodeClock, dir.resolve("fra-1"));
            agents.add(a);
            assertThat(a.replicaTimeout()).as("a request to a replica gives up within half a heartbeat interval")
                    .isLessThanOrEqualTo(HEARTBEAT.dividedBy(2));
            Await.until("connected through the proxy to replica 0", T, () -> a.status().state() == FleetAgent.State.CONNECTED
                    && replicas.get(0).cp().subscriptions() == 1);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                expected.add(purge(replicas.get(1), i));
            }
            Await.until("the first purges applied and acked", T, () -> hooks.purges().size() == 3
                    && replicas.get(0).cp().registry().node("fra-1").orElseThrow().purgeSequence() == 3);
            hung.freeze();
            for (int i = 3; i < 6; i++) {
                expected.add(purge(replicas.get(1), i)); // never reach the edge through the hung replica
            }
            long[] caughtUp = new long[1];
            Await.until("the edge subscribed and caught up on replica 1 or 2", T, () -> {
                boolean done = a.status().state() == FleetAgent.State.CONNECTED && a.status().purgeSequence() == 6
                        && (replicas.get(1).cp().subscriptions() == 1 || replicas.get(2).cp().subscriptions() == 1);
                if (done) {
                    caughtUp[0] = System.nanoTime();
                }
                return done;
            });
            long unanswered = hung.firstUnansweredRequest().orElseThrow(
                    () -> new AssertionError("the edge left the hung replica before sending it anything"));
            long millis = (caughtUp[0] - unanswered) / 1_000_000;
            System.out.println("failover from a hung replica (ms from its first unanswered request to caught up): " + millis);
            assertThat(hooks.purges()).containsExactlyElementsOf(expected);
            assertThat(millis).as("first unanswered request to caught up on another replica, within one heartbeat interval")
                    .isLessThan(HEARTBEAT.toMillis());
        }
    }

    private static String purge(TestControlPlane via, int i) {
        TestControlPlane.Resp r = via.post("/v1/purges", TestControlPlane.WRITE,
                "{\"kind\":\"url\",\"values\":[\"http://www.example.test/" + i + "\"]}");
        assertThat(r.status()).as(r.body()).isIn(200, 202);
        return "purge:url:http://www.example.test/" + i;
    }

    private void register(String id, String address, String coordinates) {
        assertThat(replicas.get(0).post("/v1/nodes/register", TestControlPlane.NODE, new NodeRegistration(id, "x",
                NodeConfig.Role.EDGE, Coordinates.parse(coordinates), List.of(address), null, 0L, 0L)).status()).isEqualTo(200);
    }

    private static Message query(TestControlPlane cp) throws Exception {
        SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
        resolver.setPort(cp.cp().dns().udpPort());
        resolver.setTimeout(Duration.ofSeconds(3));
        resolver.setEDNS(0);
        return resolver.send(Message.newQuery(Record.newRecord(Name.fromString("www." + ZONE + "."), Type.A, DClass.IN)));
    }

    /** Every address in the answer to www (answers: 2, so both edges show while both are up). */
    private static List<String> answer(TestControlPlane cp) throws Exception {
        Message m = query(cp);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        return m.getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
    }
}
