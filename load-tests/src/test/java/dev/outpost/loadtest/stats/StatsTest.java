package dev.outpost.loadtest.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void medianOfOddAndEvenCountsIgnoringMissingValues() {
        assertThat(Stats.median(List.of(3.0, 1.0, 2.0)).getAsDouble()).isEqualTo(2.0);
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0)).getAsDouble()).isEqualTo(2.5);
        assertThat(Stats.median(List.of(Double.NaN, 5.0)).getAsDouble()).isEqualTo(5.0);
        assertThat(Stats.median(List.of())).isEmpty();
    }

    @Test
    void nearestRankPercentiles() {
        double[] s = new double[100];
        for (int i = 0; i < 100; i++) {
            s[99 - i] = i + 1; // 100..1, unsorted
        }
        assertThat(Stats.percentile(s, 50)).isEqualTo(50.0);
        assertThat(Stats.percentile(s, 99)).isEqualTo(99.0);
        assertThat(Stats.percentile(s, 100)).isEqualTo(100.0);
        assertThat(Stats.percentile(new double[] {7, 3}, 50)).isEqualTo(3.0);
        assertThat(Stats.percentile(new double[] {7}, 1)).isEqualTo(7.0);
        assertThat(s[0]).as("input not sorted in place").isEqualTo(100.0);
        assertThat(Stats.percentile(new double[0], 50)).isNaN();
        assertThatThrownBy(() -> Stats.percentile(s, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ratioNeedsBothSidesAndANonZeroPeer() {
        assertThat(Stats.ratio(OptionalDouble.of(3), OptionalDouble.of(2)).getAsDouble()).isEqualTo(1.5);
        assertThat(Stats.ratio(OptionalDouble.empty(), OptionalDouble.of(2))).isEmpty();
        assertThat(Stats.ratio(OptionalDouble.of(3), OptionalDouble.empty())).isEmpty();
        assertThat(Stats.ratio(OptionalDouble.of(3), OptionalDouble.of(0))).isEmpty();
    }
}
