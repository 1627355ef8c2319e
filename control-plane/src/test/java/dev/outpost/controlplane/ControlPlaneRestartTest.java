package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.PurgeEvent;
import dev.outpost.edge.fleet.FleetAgent;
import dev.outpost.testing.Await;
import dev.outpost.testing.ChildJvm;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane process killed with SIGKILL while purges and config pushes stream in, then
 * started again on the same data directory: every purge and version a caller was told about is
 * still there, sequences have no gaps, and a subscribed node ends up with every purge, in order,
 * and the newest config.
 */
class ControlPlaneRestartTest {

    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    ChildJvm start(int port, int round) {
        ChildJvm jvm = ChildJvm.start(ControlPlaneMain.class, dir.resolve("cp-" + round + ".log"), List.of("-Xmx256m"),
                "--listen", "127.0.0.1:" + port, "--data-dir", dir.resolve("data").toString(),
                "--token", TestControlPlane.ALL);
        Await.until("control plane up", Duration.ofSeconds(30), () -> status(port, "/healthz") == 200);
        return jvm;
    }

    int status(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
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
                .header("Authorization", "Bearer " + TestControlPlane.ALL).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void killedMidPurgesAndPushesLosesNothingAcknowledged() throws Exception {
        int port = Ports.free();
        RecordingHooks hooks = new RecordingHooks();
        Set<Long> acceptedPurges = ConcurrentHashMap.newKeySet();
        Set<Long> acceptedVersions = ConcurrentHashMap.newKeySet();
        FleetAgent agent = null;
        int rounds = 3;
        try {
            for (int round = 0; round < rounds; round++) {
                ChildJvm cp = start(port, round);
                if (agent == null) {
                    agent = FleetNodes.agent("http://127.0.0.1:" + port, TestControlPlane.ALL, "edge-k", "eu", "serve", "5m",
                            hooks, InstantSource.system(), dir.resolve("edge-k"));
                }
                AtomicBoolean go = new AtomicBoolean(true);
                ExecutorService writers = Executors.newFixedThreadPool(3);
                for (int w = 0; w < 3; w++) {
                    int writer = w;
                    int r0 = round;
                    writers.execute(() -> {
                        for (int i = 0; go.get(); i++) {
                            try {
                                if (writer == 2) {
                                    HttpResponse<String> r = post(port, "/v1/configs", ControlPlaneApiTest.CONFIG_V1
                                            .replace("1h", (i + 1) + "m"));
                                    if (r.statusCode() == 201) {
                                        acceptedVersions.add(OutpostJson.json().readTree(r.body()).get("version").asLong());
                                    }
                                } else {
                                    HttpResponse<String> r = post(port, "/v1/purges",
                                            "{\"kind\":\"url\",\"values\":[\"http://www.example.test/" + r0 + "/" + writer + "/" + i + "\"]}");
                                    if (r.statusCode() / 100 == 2) {
                                        acceptedPurges.add(OutpostJson.json().readTree(r.body()).get("sequence").asLong());
                                    }
                                }
                            } catch (Exception e) {
                                if (!go.get()) {
                                    return; // the process was killed under us
                                }
                                // a transient failure before the kill (a slow machine): keep writing
                            }
                        }
                    });
                }
                int before = acceptedPurges.size();
                Await.until("purges flowing", Duration.ofSeconds(20), () -> acceptedPurges.size() > before + 20);
                cp.kill();
                go.set(false);
                writers.shutdown();
                assertThat(writers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            }

            ChildJvm cp = start(port, rounds);
            try {
                List<PurgeEvent> log = new ArrayList<>();
                for (long after = 0; ; ) {
                    JsonNode page = OutpostJson.json().readTree(get(port, "/v1/purges?after=" + after + "&limit=1000"));
                    if (page.isEmpty()) {
                        break;
                    }
                    for (JsonNode e : page) {
                        log.add(OutpostJson.json().treeToValue(e, PurgeEvent.class));
                    }
                    after = log.getLast().sequence();
                }
                assertThat(log).extracting(PurgeEvent::sequence)
                        .as("gapless from 1").containsExactlyElementsOf(
                                java.util.stream.LongStream.rangeClosed(1, log.size()).boxed().toList());
                assertThat(log).extracting(PurgeEvent::sequence).containsAll(acceptedPurges);
                JsonNode history = OutpostJson.json().readTree(get(port, "/v1/configs"));
                List<Long> versions = new ArrayList<>();
                history.forEach(v -> versions.add(v.get("version").asLong()));
                assertThat(versions).containsAll(acceptedVersions);

                FleetAgent a = agent;
                long head = log.size();
                long newest = versions.getLast();
                Await.until("node caught up to #" + head + " and v" + newest, Duration.ofSeconds(20),
                        () -> a.status().purgeSequence() == head && a.status().configVersion() == newest
                                && a.status().state() == FleetAgent.State.CONNECTED);
                List<String> purges = hooks.purges();
                assertThat(purges).hasSize(log.size()).doesNotHaveDuplicates();
                System.out.printf("kill -9 rounds: %d, purges acknowledged: %d, config versions acknowledged: %d,"
                        + " purges in the log after restart: %d, lost: 0%n", rounds, acceptedPurges.size(),
                        acceptedVersions.size(), log.size());
                for (int i = 0; i < log.size(); i++) {
                    assertThat(purges.get(i)).isEqualTo("purge:url:" + log.get(i).purge().values().getFirst());
                }
            } finally {
                cp.terminate(Duration.ofSeconds(20));
            }
        } finally {
            if (agent != null) {
                agent.close();
            }
        }
    }
}
