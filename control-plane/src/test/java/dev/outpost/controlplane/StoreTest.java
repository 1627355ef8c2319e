package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.controlplane.store.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's contract on the RocksDB implementation: gapless logs, compare-and-set, watches, reopen. */
class StoreTest {

    @TempDir
    Path dir;

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void logsAreGaplessUnderConcurrentAppendsAndSurviveReopening() throws Exception {
        try (Store store = Store.rocksdb(dir)) {
            List<String> seen = new ArrayList<>();
            AutoCloseable watch = store.watch("purges", e -> seen.add(e.sequence() + "=" + s(e.value())));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<Long>> seqs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                seqs.add(pool.submit(() -> store.append("purges", b("p" + n))));
            }
            List<Long> got = new ArrayList<>();
            for (Future<Long> f : seqs) {
                got.add(f.get());
            }
            pool.shutdown();
            assertThat(got).doesNotHaveDuplicates().allMatch(x -> x >= 1 && x <= 200);
            assertThat(store.head("purges")).isEqualTo(200);
            assertThat(seen).hasSize(200);
            for (int i = 0; i < 200; i++) {
                assertThat(seen.get(i)).startsWith((i + 1) + "=");
            }
            watch.close();
            store.append("purges", b("after-unwatch"));
            assertThat(seen).hasSize(200);
            assertThat(store.head("other")).isZero();
        }
        try (Store store = Store.rocksdb(dir)) {
            assertThat(store.head("purges")).isEqualTo(201);
            List<Store.Entry> page = store.read("purges", 195, 10);
            assertThat(page).extracting(Store.Entry::sequence).containsExactly(196L, 197L, 198L, 199L, 200L, 201L);
            assertThat(s(page.getLast().value())).isEqualTo("after-unwatch");
            assertThat(store.read("other", 0, 10)).isEmpty();
            assertThat(store.append("purges", b("next"))).isEqualTo(202);
        }
    }

    @Test
    void compareAndSetRefusesStaleVersions() {
        try (Store store = Store.rocksdb(dir)) {
            assertThat(store.compareAndSet("nodes/a", 1, b("x"))).isEqualTo(-1);
            assertThat(store.compareAndSet("nodes/a", 0, b("v1"))).isEqualTo(1);
            assertThat(store.compareAndSet("nodes/a", 0, b("again"))).isEqualTo(-1);
            assertThat(store.compareAndSet("nodes/a", 1, b("v2"))).isEqualTo(2);
            assertThat(store.compareAndSet("nodes/b", 0, b("b1"))).isEqualTo(1);
            assertThat(store.compareAndSet("other/c", 0, b("c1"))).isEqualTo(1);
            assertThat(s(store.get("nodes/a").orElseThrow().value())).isEqualTo("v2");
            assertThat(store.scan("nodes/")).extracting(Store.KeyValue::key).containsExactly("nodes/a", "nodes/b");
            assertThat(store.compareAndDelete("nodes/a", 1)).isFalse();
            assertThat(store.compareAndDelete("nodes/a", 2)).isTrue();
            assertThat(store.get("nodes/a")).isEmpty();
        }
    }
}
