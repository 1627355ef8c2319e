package dev.outpost.loadtest.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.loadtest.report.Target;
import dev.outpost.loadtest.system.SystemKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScenarioPartsTest {

    @Test
    void rotationAlternatesWhoGoesFirst() {
        List<String> s = List.of("outpost", "nginx", "varnish");
        assertThat(Rotation.rotate(s, 0)).containsExactly("outpost", "nginx", "varnish");
        assertThat(Rotation.rotate(s, 1)).containsExactly("nginx", "varnish", "outpost");
        assertThat(Rotation.rotate(s, 2)).containsExactly("varnish", "outpost", "nginx");
        assertThat(Rotation.rotate(s, 3)).containsExactly("outpost", "nginx", "varnish");
        assertThat(Rotation.rotate(List.<String>of(), 1)).isEmpty();
    }

    @Test
    void gcLogLinesGiveHeapBeforeAndAfter() {
        String log = """
                [0.012s][info][gc] Using Serial
                [1.234s][info][gc] GC(0) Pause Young (Allocation Failure) 20M->5M(60M) 3.456ms
                [2.000s][info][gc] GC(1) Pause Full (Diagnostic Command) 6M->4M(60M) 12.1ms
                [3.000s][info][gc] GC(2) Pause Young (G1 Evacuation Pause) 1G->512K(2G) 1.0ms
                """;
        List<GcLog.Gc> gcs = GcLog.parse(log);
        assertThat(gcs).hasSize(3);
        assertThat(gcs.get(0)).isEqualTo(new GcLog.Gc(20L << 20, 5L << 20, 60L << 20, false));
        assertThat(gcs.get(1).explicit()).isTrue();
        assertThat(gcs.get(2).before()).isEqualTo(1L << 30);
        assertThat(gcs.get(2).after()).isEqualTo(512L << 10);
    }

    @Test
    void hotHitTargetSaysByHowMuchItFallsShort() {
        RoundSamples s = new RoundSamples();
        s.add("h1-1k.rps", SystemKind.OUTPOST, 50_000);
        s.add("h1-1k.rps", SystemKind.NGINX, 60_000);
        s.add("h1-256k.rps", SystemKind.OUTPOST, 9_000);
        s.add("h1-256k.rps", SystemKind.NGINX, 8_000);
        List<Target> t = HotHitsScenario.targets(s, false);
        assertThat(t.get(0).status()).isEqualTo(Target.Status.NOT_MET);
        assertThat(t.get(0).detail()).contains("short by 10,000 req/s (16.7%)");
        assertThat(t.get(1).status()).isEqualTo(Target.Status.MET);
        assertThat(t.get(2).status()).isEqualTo(Target.Status.NOT_MEASURED);
    }

    @Test
    void scalingIsEachSystemsTwoCoreRateOverItsOwnOneCoreRate() {
        RoundSamples s = new RoundSamples();
        s.add("h1-1k.rps", SystemKind.OUTPOST, 100_000);
        s.add("h1-1k.rps" + HotHitsScenario.suffix(2), SystemKind.OUTPOST, 150_000);
        s.add("h1-1k.rps", SystemKind.NGINX, 60_000);
        s.add("h1-1k.rps@2c", SystemKind.NGINX, 120_000);
        s.add("h1-1k.rps", SystemKind.VARNISH, 40_000);
        var m = HotHitsScenario.scaling(s, "h1-1k.rps", 2, "HTTP/1.1 1 KiB scaling, 1 to 2 cores");
        assertThat(m.value(SystemKind.OUTPOST).getAsDouble()).isEqualTo(1.5);
        assertThat(m.value(SystemKind.NGINX).getAsDouble()).isEqualTo(2.0);
        assertThat(m.value(SystemKind.VARNISH)).isEmpty();
        assertThat(m.unit()).isEqualTo("×");
        assertThat(HotHitsScenario.suffix(1)).isEmpty();
        assertThat(HotHitsScenario.label("HTTP/2 1 KiB throughput", 2)).isEqualTo("HTTP/2 1 KiB throughput, 2 cores");
    }

    @Test
    void hotRowsKeepTheOneCoreLayoutAndAddTwoCoreRowsAllocationAndScaling() {
        RoundSamples s = new RoundSamples();
        s.add("h1-1k.alloc", SystemKind.OUTPOST, 2864);
        List<String> one = HotHitsScenario.metrics(s, List.of(1)).stream().map(dev.outpost.loadtest.report.Metric::name).toList();
        assertThat(one).hasSize(13);
        assertThat(one.get(0)).isEqualTo("HTTP/1.1 1 KiB throughput");
        assertThat(one.get(12)).isEqualTo("HTTP/1.1 1 KiB allocation per hit");
        var both = HotHitsScenario.metrics(s, List.of(1, 2));
        assertThat(both).hasSize(13 + 13 + 4);
        assertThat(both.get(13).name()).isEqualTo("HTTP/1.1 1 KiB throughput, 2 cores");
        assertThat(both.get(25).name()).isEqualTo("HTTP/1.1 1 KiB allocation per hit, 2 cores");
        assertThat(both.get(26).name()).isEqualTo("HTTP/1.1 1 KiB scaling, 1 to 2 cores");
        assertThat(both.get(12).value(SystemKind.OUTPOST).getAsDouble()).isEqualTo(2864);
        assertThat(both.get(12).value(SystemKind.NGINX)).isEmpty();
        // two cores alone: no scaling rows, nothing to divide by
        assertThat(HotHitsScenario.metrics(s, List.of(2))).hasSize(13);
    }

    @Test
    void allocationPerHitNeedsTheEdgesIoThreads() {
        var before = dev.outpost.loadtest.proc.ThreadAllocations.parse(
                "\"edge I/O-1\" #31 [1] prio=5 os_prio=0 cpu=1ms elapsed=1s allocated=1000M defined_classes=1 tid=0x1 nid=1 runnable\n");
        var after = dev.outpost.loadtest.proc.ThreadAllocations.parse(
                "\"edge I/O-1\" #31 [1] prio=5 os_prio=0 cpu=1ms elapsed=1s allocated=2000M defined_classes=1 tid=0x1 nid=1 runnable\n");
        StringBuilder why = new StringBuilder();
        assertThat(HotHitsScenario.allocationPerHit(java.util.Optional.of(before), java.util.Optional.of(after), 1L << 20, why)
                .getAsDouble()).isEqualTo(1000.0);
        var other = dev.outpost.loadtest.proc.ThreadAllocations.parse(
                "\"XNIO-1 I/O-1\" #31 [1] prio=5 os_prio=0 cpu=1ms elapsed=1s allocated=2000M defined_classes=1 tid=0x1 nid=1 runnable\n");
        assertThat(HotHitsScenario.allocationPerHit(java.util.Optional.of(before), java.util.Optional.of(other), 10, why)).isEmpty();
        assertThat(why.toString()).contains("edge I/O-N");
    }

    @Test
    void herdTargetNeedsOneOriginRequestEveryRoundAndAFastP99() {
        RoundSamples s = new RoundSamples();
        s.add("p99", SystemKind.OUTPOST, 1010);
        assertThat(HerdScenario.target(s, List.of(1L, 1L, 1L), 1000).status()).isEqualTo(Target.Status.MET);
        Target two = HerdScenario.target(s, List.of(1L, 2L, 1L), 1000);
        assertThat(two.status()).isEqualTo(Target.Status.NOT_MET);
        assertThat(two.detail()).contains("up to 2 origin requests");
        RoundSamples slow = new RoundSamples();
        slow.add("p99", SystemKind.OUTPOST, 1100);
        assertThat(HerdScenario.target(slow, List.of(1L), 1000).detail()).contains("p99 over by 80.0 ms");
    }

    @Test
    void zipfTargetMustBeatBothPeers() {
        RoundSamples s = new RoundSamples();
        s.add("hit", SystemKind.OUTPOST, 0.62);
        s.add("hit", SystemKind.NGINX, 0.55);
        s.add("hit", SystemKind.VARNISH, 0.63);
        Target t = HitRatioScenario.target(s, 0.10);
        assertThat(t.status()).isEqualTo(Target.Status.NOT_MET);
        assertThat(t.detail()).contains("0.0100 below Varnish");
        RoundSamples alone = new RoundSamples();
        alone.add("hit", SystemKind.OUTPOST, 0.62);
        assertThat(HitRatioScenario.target(alone, 0.10).status()).isEqualTo(Target.Status.NOT_MEASURED);
    }

    @Test
    void largeObjectTargetUsesTheWorstRound() {
        RoundSamples s = new RoundSamples();
        s.add("heap.live", SystemKind.OUTPOST, 10);
        s.add("heap.live", SystemKind.OUTPOST, 70);
        s.add("heap.live", SystemKind.OUTPOST, 12);
        s.add("heap.peak", SystemKind.OUTPOST, 90);
        Target t = LargeObjectScenario.target(s, 1L << 30);
        assertThat(t.status()).isEqualTo(Target.Status.NOT_MET);
        assertThat(t.detail()).contains("over by 6.0 MiB");
    }

    @Test
    void contributedBenchmarksPrintJsonAsTheirLastObjectLine() {
        var json = ContributedScenario.lastJsonObject("starting\n{\"p50-ms\": 1}\nnoise\n{\"p50-ms\": 12.5, \"p99-ms\": 40, \"nodes\": {\"n\": 50}}\ndone\n");
        assertThat(json).isPresent();
        assertThat(ContributedScenario.flatten(json.get()))
                .containsExactly(List.of("p50-ms", "12.5"), List.of("p99-ms", "40"), List.of("nodes.n", "50"));
        assertThat(ContributedScenario.lastJsonObject("no json {here")).isEmpty();
        var pretty = ContributedScenario.lastJsonObject("log line\n{\n  \"offload-gain\" : 2.3,\n  \"runs\" : {\"a\": 1}\n}\n");
        assertThat(ContributedScenario.flatten(pretty.orElseThrow())).containsExactly(List.of("offload-gain", "2.3"), List.of("runs.a", "1"));
        assertThat(ContributedScenario.isBench("PurgePropagationBench.class")).isTrue();
        assertThat(ContributedScenario.isBench("PurgePropagationBench$1.class")).isFalse();
        assertThat(ContributedScenario.isBench("Helper.class")).isFalse();
    }

    @Test
    void dnsScriptTableGetsARatioColumn() {
        String out = """
                # GeoDNS queries/s (2026-11-21T20:00Z, 2 cores, 10s per run)

                | ECS subnet | Outpost q/s | gdnsd 3.8.1 q/s |
                | --- | ---: | ---: |
                | none | 50000 | 40000 |
                | 10.1.2.0/24 (unknown: fallback) | 30000 | x |
                """;
        var t = ContributedScenario.markdownTable(out).orElseThrow();
        assertThat(t.header()).containsExactly("ECS subnet", "Outpost q/s", "gdnsd 3.8.1 q/s", "Outpost ÷ gdnsd 3.8.1");
        assertThat(t.rows().get(0)).containsExactly("none", "50000", "40000", "1.25×");
        assertThat(t.rows().get(1).get(3)).isEqualTo("n/a");
        assertThat(ContributedScenario.markdownTable("no table here")).isEmpty();
    }
}
