package dev.outpost.controlplane.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.testing.Await;
import dev.outpost.testing.EtcdCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store contract on a real one-member etcd (each test under its own key prefix, so tests
 * share the server but not state), plus what only a networked store does: a watch that resumes
 * after its etcd restarts without losing or repeating an entry, and a clear error when etcd is
 * away. Skips with a note when etcd is not installed.
 */
class EtcdStoreTest extends StoreContractTest {

    @TempDir
    static Path dir;
    static EtcdCluster etcd;
    private final String prefix = "/test-" + java.util.UUID.randomUUID() + "/";
    private final List<Store> open = new ArrayList<>();

    @BeforeAll
    static void startEtcd() {
        EtcdCluster.assumeAvailable();
        etcd = EtcdCluster.start(dir.resolve("etcd"), 1);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Override
    Store open() {
        Store s = EtcdStore.connect(EtcdOptions.plain(etcd.endpoints(), prefix));
        open.add(s);
        return s;
    }

    @Override
    void reopen() {
        closeAll();
    }

    @AfterEach
    void closeAll() {
        open.forEach(Store::close);
        open.clear();
    }

    @Test
    void aWatchResumesAfterEtcdRestartsWithNothingLostOrRepeated() {
        Store writer = open();
        Store watcher = open();
        List<Long> seen = Collections.synchronizedList(new ArrayList<>());
        watcher.watch("purges", e -> seen.add(e.sequence()));
        for (int i = 0; i < 5; i++) {
            writer.append("purges", b("before"));
        }
        Await.until("5 entries watched", Duration.ofSeconds(20), () -> seen.size() == 5);
        etcd.kill(0);
        assertThatThrownBy(() -> writer.append("purges", b("while down")))
                .isInstanceOf(Store.StoreException.class).hasMessageContaining("etcd");
        etcd.restart(0);
        Await.value("etcd answers again", Duration.ofSeconds(60), () -> {
            try {
                return writer.append("purges", b("after"));
            } catch (Store.StoreException e) {
                return null;
            }
        });
        long head = writer.head("purges");
        for (int i = 0; i < 5; i++) {
            writer.append("purges", b("after"));
        }
        Await.until("every entry watched after the restart", Duration.ofSeconds(60), () -> seen.size() >= head + 5);
        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= head + 5; s++) {
            expected.add(s);
        }
        assertThat(seen).containsExactlyElementsOf(expected);
    }
}
