package dev.outpost.edge.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The admission sketch: counts saturate at 15, and the periodic halving runs on the executor
 * given, not on the thread whose increment completed the sample (an I/O thread, for a hit).
 */
class FrequencySketchTest {

    @Test
    void countsUpToFifteen() {
        FrequencySketch sketch = new FrequencySketch(1024);
        long h = FrequencySketch.hash("k");
        for (int i = 0; i < 20; i++) {
            sketch.increment(h);
        }
        assertThat(sketch.frequency(h)).isEqualTo(15);
        assertThat(sketch.frequency(FrequencySketch.hash("other"))).isZero();
    }

    @Test
    void theHalvingRunsOnTheExecutorGivenOnceASampleIsComplete() {
        List<Runnable> handedOver = new ArrayList<>();
        FrequencySketch sketch = new FrequencySketch(4096, handedOver::add); // a sample of 40,960 additions
        long hot = FrequencySketch.hash("hot");
        for (int i = 0; i < 8; i++) {
            sketch.increment(hot);
        }
        for (int i = 0; handedOver.isEmpty() && i < 100_000; i++) {
            sketch.increment(FrequencySketch.hash("k" + i));
        }
        assertThat(handedOver).as("the sample completed: one halving handed over").hasSize(1);
        int before = sketch.frequency(hot); // 8, or a little more where other keys share its counters
        assertThat(before).as("not halved on the incrementing thread").isGreaterThanOrEqualTo(8);
        for (int i = 0; i < 2_000; i++) {
            sketch.increment(FrequencySketch.hash("more" + i));
        }
        assertThat(handedOver).as("no second halving while one is under way").hasSize(1);

        int beforeHalving = sketch.frequency(hot);
        handedOver.getFirst().run();
        assertThat(sketch.frequency(hot)).as("halved by the executor").isEqualTo(beforeHalving / 2);
    }
}
