package dev.outpost.loadtest.zipf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ZipfTraceTest {

    @Test
    void sameSeedSameTraceOtherSeedOtherTrace() {
        ZipfTrace z = new ZipfTrace(10_000, 0.9);
        assertThat(z.generate(42, 1000)).isEqualTo(z.generate(42, 1000));
        assertThat(z.generate(42, 1000)).isNotEqualTo(z.generate(43, 1000));
    }

    @Test
    void ranksStayInRange() {
        int[] t = new ZipfTrace(100, 0.9).generate(1, 50_000);
        assertThat(java.util.Arrays.stream(t).min().getAsInt()).isEqualTo(1);
        assertThat(java.util.Arrays.stream(t).max().getAsInt()).isEqualTo(100);
        assertThat(ZipfTrace.distinct(t)).isEqualTo(100);
    }

    @Test
    void frequenciesFollowTheDistribution() {
        ZipfTrace z = new ZipfTrace(10_000, 0.9);
        int n = 200_000;
        int[] counts = new int[10_001];
        for (int r : z.generate(7, n)) {
            counts[r]++;
        }
        double sum = 0;
        for (int k = 1; k <= 10_000; k++) {
            sum += 1 / Math.pow(k, 0.9);
        }
        // rank 1 has probability 1/H(10000, 0.9) (about 0.062): within 5% of expected
        assertThat(z.probability(1)).isCloseTo(1 / sum, within(1e-12));
        assertThat((double) counts[1] / n).isCloseTo(z.probability(1), within(z.probability(1) * 0.05));
        // p(1)/p(2) = 2^0.9
        assertThat(z.probability(1) / z.probability(2)).isCloseTo(Math.pow(2, 0.9), within(1e-9));
        assertThat((double) counts[1] / counts[2]).isCloseTo(Math.pow(2, 0.9), within(0.15));
        // the top 10% of objects get the share the distribution says
        double top = 0;
        long topCount = 0;
        for (int k = 1; k <= 1000; k++) {
            top += z.probability(k);
            topCount += counts[k];
        }
        assertThat((double) topCount / n).isCloseTo(top, within(0.01));
    }

    @Test
    void exponentZeroIsUniform() {
        ZipfTrace z = new ZipfTrace(4, 0);
        for (int k = 1; k <= 4; k++) {
            assertThat(z.probability(k)).isCloseTo(0.25, within(1e-12));
        }
    }

    @Test
    void badParametersAreRefused() {
        assertThatThrownBy(() -> new ZipfTrace(0, 0.9)).hasMessageContaining("objects");
        assertThatThrownBy(() -> new ZipfTrace(10, -1)).hasMessageContaining("exponent");
    }
}
