package dev.outpost.loadtest.offload;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The benchmark counts what it claims: with caches that hold everything, the origin sees each
 * object once per edge without a shield, and once in all with one.
 */
class OffloadBenchTest {

    @Test
    void originRequestsAreOnePerObjectPerEdgeWithoutAShieldAndOnePerObjectWithOne() throws Exception {
        OffloadBench bench = new OffloadBench();
        bench.objects = 400;
        bench.requestsPerEdge = 600;
        bench.concurrency = 4;
        bench.edgeMemory = "16MiB";
        bench.shieldDisk = "0";
        OffloadBench.Report report = bench.run();

        Set<Integer> union = new HashSet<>();
        long perEdge = 0;
        for (int i = 0; i < bench.edges; i++) {
            Set<Integer> seen = new HashSet<>();
            for (int k : new Zipf(bench.objects, bench.zipf, bench.seed + i).trace(bench.requestsPerEdge)) {
                seen.add(k);
            }
            perEdge += seen.size();
            union.addAll(seen);
        }
        assertThat(report.withoutShield().errors()).isZero();
        assertThat(report.withShield().errors()).isZero();
        assertThat(report.withoutShield().clientRequests()).isEqualTo(1800);
        // exact but for the odd request that misses just as its object's fetch lands (it fetches again)
        assertThat(report.withoutShield().originRequests()).isBetween(perEdge, perEdge + perEdge / 20);
        assertThat(report.withShield().shieldRequests()).isBetween(perEdge, perEdge + perEdge / 20);
        assertThat(report.withShield().originRequests()).isBetween((long) union.size(), union.size() + union.size() / 20L);
        assertThat(union.size()).isLessThan((int) perEdge);
        assertThat(report.withShield().offload()).isGreaterThan(report.withoutShield().offload());
        assertThat(report.offloadGain()).isGreaterThan(1.0);
    }

    @Test
    void zipfIsSeededAndSkewed() {
        int[] a = new Zipf(1000, 1.0, 7).trace(10_000);
        int[] b = new Zipf(1000, 1.0, 7).trace(10_000);
        assertThat(a).isEqualTo(b);
        long top = java.util.Arrays.stream(a).filter(k -> k == 0).count();
        long rank10 = java.util.Arrays.stream(a).filter(k -> k == 9).count();
        // P(0) = 1 / H(1000) ~ 0.134; P(9) = P(0) / 10
        assertThat(top).isBetween(1200L, 1500L);
        assertThat(rank10).isBetween(100L, 170L);
    }
}
