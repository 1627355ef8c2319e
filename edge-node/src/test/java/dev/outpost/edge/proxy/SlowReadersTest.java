package dev.outpost.edge.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The node-wide slow-reader budget ({@code limits.slow-reader-memory}) and its counters. */
class SlowReadersTest {

    @Test
    void chunksAreHeldWithinTheBudgetAndLetGoPastIt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SlowReaders slow = new SlowReaders(2_000, 1_000, registry);
        assertThat(slow.hold(600)).isTrue();
        assertThat(slow.underBudget()).isTrue();
        assertThat(slow.hold(400)).isTrue();
        assertThat(slow.held()).isEqualTo(1_000);
        assertThat(slow.underBudget()).as("promotions wait while the budget is taken").isFalse();
        assertThat(slow.hold(1)).as("past the budget").isFalse();
        assertThat(slow.held()).as("a refused hold takes nothing").isEqualTo(1_000);
        assertThat(registry.get("outpost.slow.reader.chunks.released").counter().count()).isEqualTo(1);
        assertThat(registry.get("outpost.slow.reader.bytes").gauge().value()).isEqualTo(1_000);
        slow.release(600);
        assertThat(slow.hold(500)).isTrue();
        slow.release(500);
        slow.release(400);
        assertThat(slow.held()).isZero();
    }

    @Test
    void aZeroBudgetHoldsNothing() {
        SlowReaders slow = new SlowReaders(2_000, 0, new SimpleMeterRegistry());
        assertThat(slow.hold(1)).isFalse();
        assertThat(slow.held()).isZero();
    }

    @Test
    void writeTimeoutsAreCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SlowReaders slow = new SlowReaders(2_000, 0, registry);
        assertThat(slow.writeTimeoutMillis()).isEqualTo(2_000);
        slow.timedOut();
        assertThat(registry.get("outpost.write.timeouts").counter().count()).isEqualTo(1);
    }
}
