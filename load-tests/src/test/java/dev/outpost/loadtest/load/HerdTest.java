package dev.outpost.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.loadtest.origin.BenchOrigin;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The herd over real sockets, against the bench origin (which collapses nothing). */
class HerdTest {

    @Test
    void everyClientSendsOnceAndIsTimedToItsWholeAnswer() throws Exception {
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            Herd.Result r = Herd.run(origin.port(), "/slow/200/1KiB/herd", 50, 10_000, Duration.ofMillis(50));
            assertThat(r.failures()).as(r.firstFailure()).isZero();
            assertThat(r.latenciesMillis()).hasSize(50);
            assertThat(Arrays.stream(r.latenciesMillis()).min().orElseThrow()).isGreaterThanOrEqualTo(200);
            assertThat(Arrays.stream(r.latenciesMillis()).max().orElseThrow()).isLessThan(5_000);
            assertThat(origin.requests("/slow/200/1KiB/herd")).isEqualTo(50);
            assertThat(origin.bodyBytes("/slow/200/1KiB/herd")).isEqualTo(50 * 1024);
        }
    }

    @Test
    void errorStatusesAndUnansweredClientsAreFailures() throws Exception {
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            Herd.Result missing = Herd.run(origin.port(), "/nothing-here", 5, 5_000);
            assertThat(missing.failures()).isEqualTo(5);
            assertThat(missing.latenciesMillis()).isEmpty();
            assertThat(missing.firstFailure()).startsWith("status 4");

            Herd.Result late = Herd.run(origin.port(), "/slow/3000/1KiB/late", 3, 300);
            assertThat(late.failures()).isEqualTo(3);
            assertThat(late.firstFailure()).contains("timeout");
        }
    }
}
