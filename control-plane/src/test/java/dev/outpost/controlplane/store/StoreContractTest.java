package dev.outpost.controlplane.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The store's contract, run against every implementation (one subclass each): gapless logs under
 * concurrent appends, watches in order, append at an expected head, compare-and-set, scans, and
 * state that survives reopening. Two handles from {@link #open()} share one store, like two
 * replicas do on etcd (the embedded store hands out the one it has).
 */
abstract class StoreContractTest {

    /** A handle on the store under test; called again after {@link #reopen()}. */
    abstract Store open();

    /** Closes every handle so the next {@link #open()} reads the state back from durable storage. */
    abstract void reopen();

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void logsAreGaplessUnderConcurrentAppendsAndSurviveReopening() throws Exception {
        Store store = open();
        Store other = open();
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        AutoCloseable watch = store.watch("purges", e -> seen.add(e.sequence() + "=" + s(e.value())));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Long>> seqs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            Store writer = n % 2 == 0 ? store : other;
            seqs.add(pool.submit(() -> writer.append("purges", seq -> b("p" + n + "@" + seq))));
        }
        List<Long> got = new ArrayList<>();
        for (Future<Long> f : seqs) {
            got.add(f.get());
        }
        pool.shutdown();
        assertThat(got).doesNotHaveDuplicates().allMatch(x -> x >= 1 && x <= 200);
        assertThat(store.head("purges")).isEqualTo(200);
        assertThat(other.head("purges")).isEqualTo(200);
        Await.until("the watch saw 200 entries", Duration.ofSeconds(30), () -> seen.size() >= 200);
        for (int i = 0; i < 200; i++) {
            assertThat(seen.get(i)).startsWith((i + 1) + "=").endsWith("@" + (i + 1));
        }
        watch.close();
        store.append("purges", b("after-unwatch"));
        Thread.sleep(200); // nothing may arrive after close: give a stray event the chance to show
        assertThat(seen).hasSize(200);
        assertThat(store.head("other")).isZero();
        reopen();
        store = open();
        assertThat(store.head("purges")).isEqualTo(201);
        List<Store.Entry> page = store.read("purges", 195, 10);
        assertThat(page).extracting(Store.Entry::sequence).containsExactly(196L, 197L, 198L, 199L, 200L, 201L);
        assertThat(s(page.getLast().value())).isEqualTo("after-unwatch");
        assertThat(store.read("purges", 0, 3)).extracting(Store.Entry::sequence).containsExactly(1L, 2L, 3L);
        assertThat(store.read("other", 0, 10)).isEmpty();
        assertThat(store.append("purges", b("next"))).isEqualTo(202);
    }

    @Test
    void appendAtAnExpectedHeadRefusesWhenAnotherWriterWasFirst() {
        Store a = open();
        Store b = open();
        assertThat(a.appendAt("configs", 0, n -> b("v" + n))).isEqualTo(1);
        assertThat(b.appendAt("configs", 0, n -> b("late v" + n))).isEqualTo(-1);
        assertThat(b.appendAt("configs", 1, n -> b("v" + n))).isEqualTo(2);
        assertThat(a.appendAt("configs", 1, n -> b("late v" + n))).isEqualTo(-1);
        assertThat(a.read("configs", 0, 10)).extracting(e -> s(e.value())).containsExactly("v1", "v2");
    }

    @Test
    void compareAndSetRefusesStaleVersions() {
        Store store = open();
        Store other = open();
        assertThat(store.compareAndSet("nodes/a", 1, b("x"))).isEqualTo(-1);
        assertThat(store.compareAndSet("nodes/a", 0, b("v1"))).isEqualTo(1);
        assertThat(other.compareAndSet("nodes/a", 0, b("again"))).isEqualTo(-1);
        assertThat(other.compareAndSet("nodes/a", 1, b("v2"))).isEqualTo(2);
        assertThat(store.compareAndSet("nodes/a", 1, b("stale"))).isEqualTo(-1);
        assertThat(store.compareAndSet("nodes/b", 0, b("b1"))).isEqualTo(1);
        assertThat(store.compareAndSet("other/c", 0, b("c1"))).isEqualTo(1);
        assertThat(s(store.get("nodes/a").orElseThrow().value())).isEqualTo("v2");
        assertThat(store.get("nodes/a").orElseThrow().version()).isEqualTo(2);
        assertThat(store.scan("nodes/")).extracting(Store.KeyValue::key).containsExactly("nodes/a", "nodes/b");
        assertThat(store.scan("nodes/")).extracting(Store.KeyValue::version).containsExactly(2L, 1L);
        assertThat(store.compareAndDelete("nodes/a", 1)).isFalse();
        assertThat(other.compareAndDelete("nodes/a", 2)).isTrue();
        assertThat(store.get("nodes/a")).isEmpty();
        assertThat(store.compareAndSet("nodes/a", 0, b("reborn"))).isEqualTo(1);
    }
}
