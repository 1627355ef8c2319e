package dev.outpost.loadtest.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.loadtest.sim.HitRatioSimulator.Policy;
import dev.outpost.loadtest.zipf.ZipfTrace;
import org.junit.jupiter.api.Test;

class HitRatioSimulatorTest {

    @Test
    void lruOnAHandTrace() {
        // capacity 2 objects: 1 2 1 3 2 1 -> miss miss hit miss(evicts 2) miss(evicts 1) miss
        int[] trace = {1, 2, 1, 3, 2, 1};
        var r = HitRatioSimulator.simulate(Policy.LRU, trace, 2 * 4096, 4096);
        assertThat(r.hits()).isEqualTo(1);
        assertThat(r.requests()).isEqualTo(6);
    }

    @Test
    void aCacheThatHoldsEverythingMissesOnlyOnFirstSight() {
        int[] trace = new ZipfTrace(500, 0.9).generate(3, 20_000);
        long expectedHits = trace.length - ZipfTrace.distinct(trace);
        for (Policy p : Policy.values()) {
            assertThat(HitRatioSimulator.simulate(p, trace, 1000L * 4096, 4096).hits()).as(p.display()).isEqualTo(expectedHits);
        }
    }

    @Test
    void tinyLfuBeatsLruOnZipfAsCaffeinesSimulatorShows() {
        int[] trace = new ZipfTrace(10_000, 0.9).generate(42, 100_000);
        double caffeine = HitRatioSimulator.simulate(Policy.CAFFEINE_W_TINYLFU, trace, 1000L * 4096, 4096).hitRatio();
        double lru = HitRatioSimulator.simulate(Policy.LRU, trace, 1000L * 4096, 4096).hitRatio();
        assertThat(caffeine).isGreaterThan(lru + 0.03);
        assertThat(lru).isBetween(0.5, 0.6);
        assertThat(caffeine).isBetween(0.58, 0.7);
    }

    @Test
    void repeatableWithinCaffeinesAdmissionJitter() {
        // W-TinyLFU admits a few candidates at random (hash-flooding protection): replays agree closely, not exactly
        int[] trace = new ZipfTrace(10_000, 0.9).generate(42, 30_000);
        double a = HitRatioSimulator.simulate(Policy.CAFFEINE_W_TINYLFU, trace, 400L * 4096, 4096).hitRatio();
        double b = HitRatioSimulator.simulate(Policy.CAFFEINE_W_TINYLFU, trace, 400L * 4096, 4096).hitRatio();
        assertThat(Math.abs(a - b)).isLessThan(0.01);
        assertThat(HitRatioSimulator.simulate(Policy.LRU, trace, 400L * 4096, 4096))
                .isEqualTo(HitRatioSimulator.simulate(Policy.LRU, trace, 400L * 4096, 4096));
    }

    @Test
    void theDiskTierPolicyKeepsAtLeastSixtyThreePercentAtTenPercentCapacityAndBeatsLruEverywhere() {
        // the benchmark's trace: 10,000 objects of 4 KiB, 100,000 requests, s = 0.9, seed 42
        int[] trace = new ZipfTrace(10_000, 0.9).generate(42, 100_000);
        long workingSet = 10_000L * 4096;
        for (double f : new double[] {0.02, 0.10, 0.20, 0.50}) {
            long cap = (long) (workingSet * f);
            double disk = HitRatioSimulator.simulate(Policy.OUTPOST_DISK, trace, cap, 4096).hitRatio();
            double caffeine = HitRatioSimulator.simulate(Policy.CAFFEINE_W_TINYLFU, trace, cap, 4096).hitRatio();
            double lru = HitRatioSimulator.simulate(Policy.LRU, trace, cap, 4096).hitRatio();
            System.out.printf("%.0f%%: outpost disk %.4f, caffeine %.4f, lru %.4f%n", f * 100, disk, caffeine, lru);
            // frequency's advantage over recency shrinks as the cache holds most of what is asked for
            assertThat(disk).as("at %.0f%%", f * 100).isGreaterThan(lru + (f < 0.5 ? 0.02 : 0.005));
            if (f == 0.10) {
                assertThat(disk).isGreaterThanOrEqualTo(0.63);
            }
        }
    }

    @Test
    void theDiskTierPolicyReplaysIdentically() {
        int[] trace = new ZipfTrace(10_000, 0.9).generate(7, 30_000);
        assertThat(HitRatioSimulator.simulate(Policy.OUTPOST_DISK, trace, 400L * 4096, 4096))
                .isEqualTo(HitRatioSimulator.simulate(Policy.OUTPOST_DISK, trace, 400L * 4096, 4096));
    }
}
