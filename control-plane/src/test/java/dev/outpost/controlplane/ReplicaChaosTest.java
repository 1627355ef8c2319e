package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.PurgeEvent;
import dev.outpost.edge.fleet.FleetAgent;
import dev.outpost.testing.Await;
import dev.outpost.testing.ChildJvm;
import dev.outpost.testing.EtcdCluster;
import dev.outpost.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three control-plane processes on a three-member etcd, three writers (two of purges, one of
 * config pushes, each moving to the next replica when its own fails) and two subscribed edges
 * each given all three URLs. Each round kills with SIGKILL the replica the first edge uses, then
 * one etcd member, and restarts both. Afterwards every purge and config version a writer was told
 * about is in the log, the log has no gaps, each edge applied every purge once and in order and
 * runs the newest config. Prints the figures docs/hardening.md quotes, with the edge's failover
 * times (kill to subscribed on another replica). The default run does one round; the
 * {@code chaos} tag runs ten.
 */
class ReplicaChaosTest {

    static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @Test
    void oneRoundOfKillingAReplicaAndAnEtcdMemberLosesNothing() throws Exception {
        run(1);
    }

    @Test
    @Tag("chaos")
    void tenRoundsOfKillingReplicasAndEtcdMembersLoseNothing() throws Exception {
        run(10);
    }

    private void run(int rounds) throws Exception {
        EtcdCluster.assumeAvailable();
        try (EtcdCluster etcd = EtcdCluster.start(dir.resolve("etcd"), 3)) {
            int[] ports = {Ports.free(), Ports.free(), Ports.free()};
            ChildJvm[] replicas = new ChildJvm[3];
            try {
                for (int i = 0; i < 3; i++) {
                    replicas[i] = start(etcd, ports, i, 0);
                }
                for (int i = 0; i < 3; i++) {
                    awaitUp(replicas[i], ports[i]);
                }
                chaos(rounds, etcd, ports, replicas);
            } finally {
                for (ChildJvm r : replicas) {
                    if (r != null) {
                        r.close();
                    }
                }
            }
        }
    }

    private void chaos(int rounds, EtcdCluster etcd, int[] ports, ChildJvm[] replicas) throws Exception {
        {
            RecordingHooks hooksA = new RecordingHooks();
            RecordingHooks hooksB = new RecordingHooks();
            FleetAgent a = FleetNodes.agent(urls(ports, 0), TestControlPlane.ALL, "edge-a", "eu", "serve", "5m", hooksA,
                    InstantSource.system(), dir.resolve("edge-a"));
            FleetAgent b = FleetNodes.agent(urls(ports, 1), TestControlPlane.ALL, "edge-b", "eu", "serve", "5m", hooksB,
                    InstantSource.system(), dir.resolve("edge-b"));
            Set<Long> acceptedPurges = ConcurrentHashMap.newKeySet();
            Set<Long> acceptedVersions = ConcurrentHashMap.newKeySet();
            AtomicLong sent = new AtomicLong();
            List<Long> failovers = new ArrayList<>();
            AtomicBoolean go = new AtomicBoolean(true);
            ExecutorService writers = Executors.newFixedThreadPool(3);
            try {
                Await.until("edges connected", T, () -> a.status().state() == FleetAgent.State.CONNECTED
                        && b.status().state() == FleetAgent.State.CONNECTED);
                for (int w = 0; w < 3; w++) {
                    int writer = w;
                    writers.execute(() -> write(writer, ports, go, sent, acceptedPurges, acceptedVersions));
                }
                for (int round = 0; round < rounds; round++) {
                    long before = acceptedPurges.size();
                    Await.until("purges flowing", T, () -> acceptedPurges.size() > before + 10);
                    int used = Await.value("the replica edge-a uses", T, () -> connectedOn(ports, "edge-a"));
                    long t0 = System.nanoTime();
                    replicas[used].kill();
                    Await.until("edge-a on another replica", T, () -> a.status().state() == FleetAgent.State.CONNECTED
                            && connectedOn(ports, "edge-a") != null && connectedOn(ports, "edge-a") != used);
                    failovers.add((System.nanoTime() - t0) / 1_000_000);
                    long mid = acceptedPurges.size();
                    Await.until("purges flowing with a replica down", T, () -> acceptedPurges.size() > mid + 10);
                    int member = round % 3;
                    etcd.kill(member);
                    long down = acceptedPurges.size();
                    Await.until("purges flowing with an etcd member down", T, () -> acceptedPurges.size() > down + 10);
                    etcd.restart(member);
                    replicas[used] = start(etcd, ports, used, round + 1);
                    awaitUp(replicas[used], ports[used]);
                }
                long last = acceptedPurges.size();
                Await.until("purges flowing after the restarts", T, () -> acceptedPurges.size() > last + 10);
            } finally {
                go.set(false);
                writers.shutdown();
                assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            }
            try {
                List<PurgeEvent> log = new ArrayList<>();
                for (long after = 0; ; ) {
                    JsonNode page = OutpostJson.json().readTree(get(ports[2], "/v1/purges?after=" + after + "&limit=1000"));
                    if (page.isEmpty()) {
                        break;
                    }
                    for (JsonNode e : page) {
                        log.add(OutpostJson.json().treeToValue(e, PurgeEvent.class));
                    }
                    after = log.getLast().sequence();
                }
                assertThat(log).extracting(PurgeEvent::sequence).as("gapless from 1")
                        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, log.size()).boxed().toList());
                assertThat(log).extracting(PurgeEvent::sequence).containsAll(acceptedPurges);
                List<Long> versions = new ArrayList<>();
                OutpostJson.json().readTree(get(ports[0], "/v1/configs")).forEach(v -> versions.add(v.get("version").asLong()));
                assertThat(versions).containsAll(acceptedVersions)
                        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, versions.size()).boxed().toList());
                long head = log.size();
                long newest = versions.getLast();
                for (FleetAgent agent : List.of(a, b)) {
                    Await.until(agent + " caught up to #" + head + " and v" + newest, T,
                            () -> agent.status().purgeSequence() == head && agent.status().configVersion() == newest);
                }
                List<String> expected = log.stream().map(e -> "purge:url:" + e.purge().values().getFirst()).toList();
                assertThat(hooksA.purges()).containsExactlyElementsOf(expected);
                assertThat(hooksB.purges()).containsExactlyElementsOf(expected);
                List<Long> sorted = failovers.stream().sorted().toList();
                System.out.printf("replica chaos: rounds %d, purges sent %d, acknowledged %d, in the log %d, delivered to"
                                + " edge-a %d and edge-b %d (in order, once each), config versions acknowledged %d, newest v%d;"
                                + " edge failover ms p50 %d p99 %d max %d (samples %s)%n",
                        rounds, sent.get(), acceptedPurges.size(), log.size(), hooksA.purges().size(), hooksB.purges().size(),
                        acceptedVersions.size(), newest, sorted.get(sorted.size() / 2),
                        sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)), sorted.getLast(), failovers);
            } finally {
                a.close();
                b.close();
            }
        }
    }

    private void awaitUp(ChildJvm replica, int port) {
        try {
            // a cold JVM loading the gRPC client takes long on a busy machine
            Await.until("replica on port " + port + " up", Duration.ofSeconds(180), () -> status(port, "/healthz") == 200);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; its log:\n" + replica.logText(), e);
        }
    }

    private ChildJvm start(EtcdCluster etcd, int[] ports, int i, int round) {
        return ChildJvm.start(ControlPlaneMain.class, dir.resolve("cp" + i + "-" + round + ".log"), List.of("-Xmx256m"),
                "--listen", "127.0.0.1:" + ports[i], "--data-dir", dir.resolve("unused-" + i).toString(),
                "--token", TestControlPlane.ALL, "--store", "etcd", "--etcd-endpoints", String.join(",", etcd.endpoints()),
                "--etcd-prefix", "/chaos/", "--etcd-timeout", "3s");
    }

    /** The replicas' URLs starting at {@code first}, so edges start on different replicas. */
    private static String urls(int[] ports, int first) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add("http://127.0.0.1:" + ports[(first + i) % 3]);
        }
        return String.join(",", out);
    }

    /** Which replica holds the node's subscription (replicas know only their own), or null. */
    private Integer connectedOn(int[] ports, String node) {
        for (int i = 0; i < 3; i++) {
            try {
                JsonNode n = OutpostJson.json().readTree(get(ports[i], "/v1/nodes/" + node));
                if (n.path("connected").asBoolean(false)) {
                    return i;
                }
            } catch (Exception e) {
                // down
            }
        }
        return null;
    }

    private void write(int writer, int[] ports, AtomicBoolean go, AtomicLong sent, Set<Long> purges, Set<Long> versions) {
        int replica = writer;
        for (int i = 0; go.get(); i++) {
            try {
                if (writer == 2) {
                    HttpResponse<String> r = post(ports[replica], "/v1/configs",
                            ControlPlaneApiTest.CONFIG_V1.replace("1h", (i + 1) + "m"));
                    if (r.statusCode() == 201) {
                        versions.add(OutpostJson.json().readTree(r.body()).get("version").asLong());
                    } else {
                        replica = (replica + 1) % 3;
                    }
                    Thread.sleep(50);
                } else {
                    sent.incrementAndGet();
                    HttpResponse<String> r = post(ports[replica], "/v1/purges",
                            "{\"kind\":\"url\",\"values\":[\"http://www.example.test/" + writer + "/" + i + "\"]}");
                    if (r.statusCode() / 100 == 2) {
                        purges.add(OutpostJson.json().readTree(r.body()).get("sequence").asLong());
                    } else {
                        replica = (replica + 1) % 3;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                replica = (replica + 1) % 3; // that replica is down: the next one
            }
        }
    }

    int status(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    HttpResponse<String> post(int port, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TestControlPlane.ALL)
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    String get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TestControlPlane.ALL).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
