package dev.outpost.loadtest.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ThreadAllocationsTest {

    static String dump(String io1, String io2) {
        return """
                2026-12-06 06:05:13
                Full thread dump OpenJDK 64-Bit Server VM (25+36-LTS mixed mode, sharing):

                "main" #3 [5966] prio=5 os_prio=0 cpu=923.25ms elapsed=5.29s allocated=2946M defined_classes=1500 tid=0x00007f18c002aaa0 nid=5966 waiting on condition  [0x00007f18c75fe000]
                   java.lang.Thread.State: TIMED_WAITING (sleeping)

                "edge I/O-1" #31 [6001] prio=5 os_prio=0 cpu=1200.00ms elapsed=9.00s allocated=%s defined_classes=10 tid=0x1 nid=6001 runnable  [0x0]
                   java.lang.Thread.State: RUNNABLE

                "edge I/O-2" #32 [6002] prio=5 os_prio=0 cpu=1100.00ms elapsed=9.00s allocated=%s defined_classes=2 tid=0x2 nid=6002 runnable  [0x0]

                "edge Accept" #33 [6003] prio=5 os_prio=0 cpu=1.00ms elapsed=9.00s allocated=64B defined_classes=0 tid=0x3 nid=6003 runnable  [0x0]

                "VM Thread" os_prio=0 cpu=12.03ms elapsed=5.30s tid=0x00007f18c00a5a50 nid=5973 runnable
                """.formatted(io1, io2);
    }

    static final Predicate<String> IO = n -> n.startsWith("edge I/O-");

    @Test
    void readsEveryThreadsAllocatedBytesInItsUnit() {
        ThreadAllocations.Snapshot s = ThreadAllocations.parse(dump("1500M", "120K"));
        assertThat(s.threads()).containsOnlyKeys("main", "edge I/O-1", "edge I/O-2", "edge Accept");
        assertThat(s.bytes(IO)).isEqualTo(1500L * 1024 * 1024 + 120L * 1024);
        assertThat(s.uncertainty(IO)).isEqualTo((1L << 20) + (1L << 10));
        assertThat(s.bytes(n -> n.equals("edge Accept"))).isEqualTo(64);
        assertThat(s.count(IO)).isEqualTo(2);
        assertThat(ThreadAllocations.parse(dump("3G", "512B")).bytes(IO)).isEqualTo((3L << 30) + 512);
        assertThat(ThreadAllocations.parse("no dump here").threads()).isEmpty();
    }

    @Test
    void perRequestIsTheGrowthOverTheMatchingThreadsDividedByTheRequests() {
        ThreadAllocations.Snapshot before = ThreadAllocations.parse(dump("1000M", "500M"));
        ThreadAllocations.Snapshot after = ThreadAllocations.parse(dump("2000M", "1500M"));
        // 2,000 MiB over 700,000 hits: 2,995.93 bytes each; rounding at most 4 MiB of 2,000 (0.2%)
        assertThat(ThreadAllocations.perRequest(before, after, IO, 700_000, 0.02).getAsDouble())
                .isCloseTo(2000.0 * 1024 * 1024 / 700_000, within(1e-6));
        assertThat(ThreadAllocations.perRequest(before, after, IO, 0, 0.02)).isEmpty();
        assertThat(ThreadAllocations.perRequest(before, after, n -> n.equals("nobody"), 10, 0.02)).isEmpty();
        // a growth of 1 GiB read in G units (error up to 4 GiB) is refused rather than reported
        ThreadAllocations.Snapshot big0 = ThreadAllocations.parse(dump("100G", "100G"));
        ThreadAllocations.Snapshot big1 = ThreadAllocations.parse(dump("101G", "100G"));
        assertThat(ThreadAllocations.perRequest(big0, big1, IO, 1_000, 0.02)).isEmpty();
    }

    @Test
    void readsALiveJvm() {
        StringBuilder problem = new StringBuilder();
        var s = ThreadAllocations.read(java.nio.file.Path.of(System.getProperty("java.home")), ProcessHandle.current().pid(), problem);
        assertThat(s).as(problem.toString()).isPresent();
        assertThat(s.get().count(n -> true)).isGreaterThan(1);
    }
}
