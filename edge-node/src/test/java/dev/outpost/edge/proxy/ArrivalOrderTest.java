package dev.outpost.edge.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ArrivalOrderTest {

    @Test
    void waitersAreCalledFirstComeFirstServed() {
        ArrivalOrder<String> o = new ArrivalOrder<>();
        List<Integer> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int n = i;
            o.whenSet(v -> calls.add(n));
        }
        assertThat(o.isSet()).isFalse();
        assertThat(o.now()).isNull();
        assertThat(o.set("landed")).isTrue();
        assertThat(calls).hasSize(100).isSorted();
        assertThat(o.now()).isEqualTo("landed");
    }

    @Test
    void aWaiterAfterTheResultIsCalledAtOnceAndTheResultIsSetOnce() {
        ArrivalOrder<String> o = new ArrivalOrder<>();
        o.set("first");
        assertThat(o.set("second")).isFalse();
        List<String> seen = new ArrayList<>();
        o.whenSet(seen::add);
        assertThat(seen).containsExactly("first");
    }

    @Test
    void aFailingWaiterDoesNotKeepTheOthersWaiting() {
        ArrivalOrder<String> o = new ArrivalOrder<>();
        List<String> seen = new ArrayList<>();
        o.whenSet(v -> seen.add("a"));
        o.whenSet(v -> {
            throw new IllegalStateException("broken waiter");
        });
        o.whenSet(v -> seen.add("c"));
        o.set("x");
        assertThat(seen).containsExactly("a", "c");
    }

    @Test
    void awaitReturnsTheResultOrNullAfterTheTimeout() throws Exception {
        ArrivalOrder<String> o = new ArrivalOrder<>();
        assertThat(o.await(20)).isNull();
        CountDownLatch waiting = new CountDownLatch(1);
        String[] got = new String[1];
        Thread t = Thread.ofVirtual().start(() -> {
            waiting.countDown();
            try {
                got[0] = o.await(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiting.await(5, TimeUnit.SECONDS);
        o.set("late");
        t.join(5_000);
        assertThat(got[0]).isEqualTo("late");
    }
}
