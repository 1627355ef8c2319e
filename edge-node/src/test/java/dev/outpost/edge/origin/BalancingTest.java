package dev.outpost.edge.origin;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.outpost.edge.origin.PoolFixture.fetch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each algorithm distributes as specified, over real servers. */
class BalancingTest {

    @RegisterExtension
    static final OriginExtension a = new OriginExtension();
    @RegisterExtension
    static final OriginExtension b = new OriginExtension();
    @RegisterExtension
    static final OriginExtension c = new OriginExtension();
    @RegisterExtension
    static final OriginExtension d = new OriginExtension();

    @BeforeEach
    void stubs() {
        for (OriginExtension w : List.of(a, b, c, d)) {
            w.stubFor(any(anyUrl()).willReturn(aResponse().withBody("ok")));
        }
    }

    private static String label(OriginExtension w) {
        return w.baseUrl();
    }

    private static String servers(String... weightedUrls) {
        StringBuilder sb = new StringBuilder("    servers:\n");
        for (String s : weightedUrls) {
            String[] p = s.split(" ");
            sb.append("      - url: ").append(p[0]).append('\n');
            if (p.length > 1) {
                sb.append("        weight: ").append(p[1]).append('\n');
            }
        }
        return sb.toString();
    }

    private static Map<String, Integer> spread(OriginPool pool, int n, String prefix) throws UpstreamException {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.merge(fetch(pool, PoolFixture.get(prefix + i)).server(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void roundRobinTakesTurns() throws Exception {
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool("origins:\n  - name: default\n    algorithm: round-robin\n"
                    + servers(a.baseUrl(), b.baseUrl() + " 5", c.baseUrl()));
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                order.add(fetch(pool, PoolFixture.get("/rr/" + i)).server());
            }
            assertThat(order).containsExactly(label(a), label(b), label(c), label(a), label(b), label(c));
            assertThat(spread(pool, 300, "/more/")).containsOnly(
                    Map.entry(label(a), 100), Map.entry(label(b), 100), Map.entry(label(c), 100));
            assertThat(a.getAllServeEvents()).hasSize(102);
        }
    }

    @Test
    void weightedRoundRobinIsSmoothAndFollowsWeights() throws Exception {
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool("origins:\n  - name: default\n    algorithm: weighted-round-robin\n"
                    + servers(a.baseUrl() + " 5", b.baseUrl() + " 1", c.baseUrl() + " 1"));
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                order.add(fetch(pool, PoolFixture.get("/w/" + i)).server());
            }
            // nginx's smooth sequence for 5, 1, 1: a a b a c a a
            assertThat(order).containsExactly(label(a), label(a), label(b), label(a), label(c), label(a), label(a));
            Map<String, Integer> counts = spread(pool, 700, "/wm/");
            assertThat(counts).containsOnly(Map.entry(label(a), 500), Map.entry(label(b), 100), Map.entry(label(c), 100));
        }
    }

    @Test
    void leastConnectionsAvoidsTheBusyServer() throws Exception {
        a.stubFor(get(urlPathEqualTo("/slow")).willReturn(aResponse().withFixedDelay(1500).withBody("slow")));
        b.stubFor(get(urlPathEqualTo("/slow")).willReturn(aResponse().withFixedDelay(1500).withBody("slow")));
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool("origins:\n  - name: default\n    algorithm: least-connections\n"
                    + servers(a.baseUrl(), b.baseUrl()));
            CompletableFuture<PoolFixture.Answer> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return fetch(pool, PoolFixture.get("/slow"));
                } catch (UpstreamException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until("the slow request is in flight", Duration.ofSeconds(5),
                    () -> pool.members()[0].server().active.get() + pool.members()[1].server().active.get() == 1);
            String busy = pool.members()[0].server().active.get() == 1 ? label(a) : label(b);
            String idle = busy.equals(label(a)) ? label(b) : label(a);
            Map<String, Integer> counts = spread(pool, 10, "/fast/");
            assertThat(counts).containsOnly(Map.entry(idle, 10));
            assertThat(slow.get().server()).isEqualTo(busy);
            // both idle again: turns alternate
            assertThat(spread(pool, 10, "/again/")).containsOnly(Map.entry(idle, 5), Map.entry(busy, 5));
        }
    }

    @Test
    void consistentHashKeepsEachKeyOnOneServerAndMovesOnlyTheKeysOfAServerThatLeaves() throws Exception {
        try (PoolFixture f = new PoolFixture()) {
            String all = servers(a.baseUrl(), b.baseUrl(), c.baseUrl(), d.baseUrl());
            OriginPool pool = f.pool("origins:\n  - name: default\n    algorithm: consistent-hash\n" + all);
            Map<String, String> before = new HashMap<>();
            for (int i = 0; i < 400; i++) {
                String key = "/k/" + i;
                before.put(key, fetch(pool, PoolFixture.get(key)).server());
            }
            assertThat(new java.util.HashSet<>(before.values())).hasSize(4);
            for (String server : List.of(label(a), label(b), label(c), label(d))) {
                long n = before.values().stream().filter(server::equals).count();
                // the ring depends on the servers' (random) ports: roughly even, not exactly
                assertThat(n).as("share of %s", server).isBetween(55L, 145L);
            }
            for (int i = 0; i < 400; i += 7) {
                String key = "/k/" + i;
                assertThat(fetch(pool, PoolFixture.get(key)).server()).isEqualTo(before.get(key));
            }
            // d leaves the pool: only its keys move, each to another server
            OriginPool three = f.pool("origins:\n  - name: default\n    algorithm: consistent-hash\n"
                    + servers(a.baseUrl(), b.baseUrl(), c.baseUrl()));
            int moved = 0;
            for (Map.Entry<String, String> e : before.entrySet()) {
                String now = fetch(three, PoolFixture.get(e.getKey())).server();
                if (e.getValue().equals(label(d))) {
                    assertThat(now).isNotEqualTo(label(d));
                    moved++;
                } else {
                    assertThat(now).as("key %s", e.getKey()).isEqualTo(e.getValue());
                }
            }
            assertThat(moved).isGreaterThan(0);
        }
    }

    @Test
    void consistentHashSharesFollowWeights() throws Exception {
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool("origins:\n  - name: default\n    algorithm: consistent-hash\n"
                    + servers(a.baseUrl() + " 2", b.baseUrl() + " 1", c.baseUrl() + " 1"));
            boolean[] eligible = {true, true, true};
            int[] counts = new int[3];
            Balancer balancer = Balancer.of(pool.config().algorithm(), pool.config().hashOn(), new int[] {2, 1, 1},
                    pool.servers().toArray(String[]::new), null);
            for (int i = 0; i < 20_000; i++) {
                counts[balancer.pick(PoolFixture.get("/obj/" + i), eligible)]++;
            }
            assertThat(counts[0]).isBetween(9_000, 11_000);
            assertThat(counts[1]).isBetween(4_500, 5_500);
            assertThat(counts[2]).isBetween(4_500, 5_500);
            // and the pool itself sends by the same ranking
            for (int i = 0; i < 30; i++) {
                int expected = balancer.pick(PoolFixture.get("/obj/" + i), eligible);
                assertThat(fetch(pool, PoolFixture.get("/obj/" + i)).server()).isEqualTo(pool.servers().get(expected));
            }
        }
    }

    @Test
    void consistentHashOnClientIpKeepsAClientOnOneServer() throws Exception {
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool("origins:\n  - name: default\n    algorithm: consistent-hash\n    hash-on: client-ip\n"
                    + servers(a.baseUrl(), b.baseUrl(), c.baseUrl()));
            Map<String, java.util.Set<String>> byClient = new HashMap<>();
            for (int client = 0; client < 30; client++) {
                String ip = "198.51.100." + client;
                for (int i = 0; i < 5; i++) {
                    String server = fetch(pool, PoolFixture.request("GET", "/c/" + client + "/" + i, "key-" + i, ip)).server();
                    byClient.computeIfAbsent(ip, k -> new java.util.HashSet<>()).add(server);
                }
            }
            assertThat(byClient.values()).allSatisfy(s -> assertThat(s).hasSize(1));
            assertThat(byClient.values().stream().flatMap(java.util.Set::stream).distinct().count()).isEqualTo(3);
        }
    }

    @Test
    void aServerAtItsConnectionLimitIsSkippedAndAllAtLimitIsNoServer() throws Exception {
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool("origins:\n  - name: default\n    servers:\n"
                    + "      - {url: " + a.baseUrl() + ", max-connections: 1}\n"
                    + "      - {url: " + b.baseUrl() + ", max-connections: 2}\n");
            UpstreamResponse r1 = pool.fetch(PoolFixture.get("/1"));
            UpstreamResponse r2 = pool.fetch(PoolFixture.get("/2"));
            UpstreamResponse r3 = pool.fetch(PoolFixture.get("/3"));
            assertThat(List.of(r1.server(), r2.server(), r3.server())).containsExactlyInAnyOrder(label(a), label(b), label(b));
            assertThatThrownBy(() -> pool.fetch(PoolFixture.get("/4")))
                    .isInstanceOfSatisfying(UpstreamException.class, e -> {
                        assertThat(e.kind()).isEqualTo(UpstreamException.Kind.NO_SERVER);
                        assertThat(e.detail()).isEqualTo("origin-servers-at-limit");
                        assertThat(e.status()).isEqualTo(502);
                    });
            UpstreamResponse held = r1.server().equals(label(a)) ? r1 : r2.server().equals(label(a)) ? r2 : r3;
            held.close();
            held.close(); // closing twice gives back one slot only
            assertThat(fetch(pool, PoolFixture.get("/5")).server()).isEqualTo(label(a));
            assertThat(pool.members()[0].server().active.get()).isZero();
            r1.close();
            r2.close();
            r3.close();
            assertThat(pool.members()[1].server().active.get()).isZero();
        }
    }
}
