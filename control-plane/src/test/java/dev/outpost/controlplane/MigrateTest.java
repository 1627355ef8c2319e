package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.Coordinates;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.controlplane.store.Store;
import dev.outpost.testing.EtcdCluster;
import dev.outpost.testing.ManualClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code control-plane migrate} copies a single control plane's embedded state into a real
 * etcd: a control plane started on etcd then has the same purge log (same sequences, same
 * bytes), config versions and registry, and a second migration into the same place is refused.
 */
class MigrateTest {

    @TempDir
    Path dir;

    @Test
    void theEmbeddedStateMovesToEtcdWithItsSequences() {
        EtcdCluster.assumeAvailable();
        ManualClock clock = new ManualClock();
        Path data = dir.resolve("cp");
        List<Store.Entry> purges;
        try (TestControlPlane cp = new TestControlPlane(data, clock).start()) {
            assertThat(cp.post("/v1/nodes/register", TestControlPlane.NODE, new NodeRegistration("fra-1", "eu",
                    NodeConfig.Role.EDGE, Coordinates.parse("50.1,8.7"), List.of("192.0.2.10"), null, 0L, 0L)).status()).isEqualTo(200);
            assertThat(cp.post("/v1/configs", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V1).status()).isEqualTo(201);
            assertThat(cp.post("/v1/configs", TestControlPlane.WRITE, ControlPlaneApiTest.CONFIG_V2).status()).isEqualTo(201);
            for (int i = 0; i < 7; i++) {
                assertThat(cp.post("/v1/purges", TestControlPlane.WRITE,
                        "{\"kind\":\"url\",\"values\":[\"http://www.example.test/" + i + "\"]}").status()).isIn(200, 202);
            }
            cp.post("/v1/nodes/fra-1/drain", TestControlPlane.WRITE, "");
            purges = cp.cp().purges().raw(0, 100);
        }
        try (EtcdCluster etcd = EtcdCluster.start(dir.resolve("etcd"), 1)) {
            String prefix = "/migrated-" + UUID.randomUUID() + "/";
            String[] args = {"migrate", "--from", "rocksdb", "--data-dir", data.toString(), "--to", "etcd",
                    "--etcd-endpoints", etcd.endpoint(0), "--etcd-prefix", prefix};
            Run first = run(args);
            assertThat(first.code()).as(first.err()).isZero();
            assertThat(first.out()).contains("copied 2 config versions, 7 purges");

            try (TestControlPlane cp = new TestControlPlane(dir.resolve("unused"), clock,
                    c -> c.withEtcd(etcd.endpoints(), prefix)).start()) {
                assertThat(cp.cp().purges().head()).isEqualTo(7);
                List<Store.Entry> copied = cp.cp().purges().raw(0, 100);
                assertThat(copied).extracting(Store.Entry::sequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
                for (int i = 0; i < 7; i++) {
                    assertThat(copied.get(i).value()).isEqualTo(purges.get(i).value());
                }
                assertThat(cp.cp().configs().history()).extracting(v -> v.version()).containsExactly(1L, 2L);
                assertThat(cp.cp().registry().node("fra-1")).hasValueSatisfying(n -> assertThat(n.drained()).isTrue());
                // the log goes on from where it was
                assertThat(cp.post("/v1/purges", TestControlPlane.WRITE, "{\"kind\":\"all\"}").body()).contains("\"sequence\":8");
            }

            Run again = run(args);
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.err()).contains("refusing to merge histories");
            assertThat(run("migrate", "--from", "rocksdb", "--data-dir", dir.resolve("nothing").toString(), "--to", "etcd",
                    "--etcd-endpoints", etcd.endpoint(0)).code()).isEqualTo(2);
        }
    }

    record Run(int code, String out, String err) {
    }

    private static synchronized Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = ControlPlaneMain.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
