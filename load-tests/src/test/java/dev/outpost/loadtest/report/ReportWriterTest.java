package dev.outpost.loadtest.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.loadtest.system.SystemKind;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ReportWriterTest {

    static Report sample() {
        Metric rps = Metric.of("HTTP/1.1 1 KiB throughput", "req/s", 0, Metric.Better.HIGHER)
                .with(SystemKind.OUTPOST, OptionalDouble.of(120_000))
                .with(SystemKind.NGINX, OptionalDouble.of(60_000))
                .with(SystemKind.VARNISH, OptionalDouble.empty())
                .with(SystemKind.ATS, OptionalDouble.of(80_000));
        Metric p99 = Metric.of("HTTP/1.1 1 KiB latency p99", "ms", 3, Metric.Better.LOWER)
                .with(SystemKind.OUTPOST, OptionalDouble.of(1.5))
                .with(SystemKind.NGINX, OptionalDouble.of(3.0));
        Section hot = new Section("hot", "Hot hits", "What it measures.", List.of(rps, p99),
                List.of(new Table("Per round", List.of("System", "Rounds"), List.of(List.of("Outpost", "[1, 2|3]")))),
                List.of("Varnish not measured: not installed"),
                List.of(new ChartSpec.Bars("hot.png", "Hot hits", "req/s", List.of("a"), Map.of("Outpost", List.of(1.0)))),
                List.of(new Target("Hot hits: requests/s >= nginx's", Target.Status.MET, "2.00×")));
        Section skipped = Section.skipped("dns", "DNS queries/s", "GeoDNS.", "no benchmark yet");
        return new Report("2026-01-01T00:00:00Z", "full (3 rounds, median)", "9m 58s",
                List.of(new String[] {"CPU", "AMD EPYC"}, new String[] {"nginx", "nginx/1.22.1"}),
                List.of("load average 0.5 at start"), List.of(hot, skipped));
    }

    @Test
    void theLayoutIsFixed() {
        String md = ReportWriter.write(sample(), "charts");
        assertThat(md).startsWith("# Outpost benchmark report\n\nFormat: " + ReportWriter.FORMAT + "  \n");
        assertThat(md).contains("""
                | Metric | Unit | Outpost | nginx | Varnish | ATS | Outpost ÷ nginx | Outpost ÷ Varnish | Outpost ÷ ATS | Better |
                | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
                | HTTP/1.1 1 KiB throughput | req/s | 120,000 | 60,000 | n/a | 80,000 | 2.00× | n/a | 1.50× | higher is better |
                | HTTP/1.1 1 KiB latency p99 | ms | 1.500 | 3.000 | n/a | n/a | 0.50× | n/a | n/a | lower is better |
                """);
        assertThat(md).contains("| Hot hits: requests/s >= nginx's | met | 2.00× |");
        assertThat(md).contains("| CPU | AMD EPYC |");
        assertThat(md).contains("![Hot hits](charts/hot.png)");
        assertThat(md).contains("| Outpost | [1, 2\\|3] |");
        assertThat(md).contains("## 2. DNS queries/s (`dns`)\n\nGeoDNS.\n\nNotes:\n\n- Not run: no benchmark yet\n");
        // headings in the fixed order
        assertThat(md.indexOf("## Machine")).isLessThan(md.indexOf("## Run notes"));
        assertThat(md.indexOf("## Run notes")).isLessThan(md.indexOf("## Targets"));
        assertThat(md.indexOf("## Targets")).isLessThan(md.indexOf("## 1. Hot hits"));
    }

    @Test
    void sameReportSameText() {
        assertThat(ReportWriter.write(sample(), "c")).isEqualTo(ReportWriter.write(sample(), "c"));
    }

    @Test
    void numbersAndRatios() {
        assertThat(ReportWriter.number(OptionalDouble.of(1234567.891), 1)).isEqualTo("1,234,567.9");
        assertThat(ReportWriter.number(OptionalDouble.empty(), 1)).isEqualTo("n/a");
        assertThat(ReportWriter.number(OptionalDouble.of(Double.NaN), 1)).isEqualTo("n/a");
        assertThat(ReportWriter.ratio(OptionalDouble.of(0.5))).isEqualTo("0.50×");
        assertThat(ReportWriter.ratio(OptionalDouble.empty())).isEqualTo("n/a");
    }

    @Test
    void noTargetsStillHasTheTable() {
        Report r = new Report("t", "quick", "1m", List.of(), List.of(), List.of(Section.skipped("hot", "Hot hits", "d", "why")));
        assertThat(ReportWriter.write(r, "c")).contains("| (no scenario with a target ran) | not measured | |")
                .contains("## Run notes\n\n- none\n");
    }

    @Test
    void chartsAreDrawnAsPng(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Section s = new Section("zipf", "Hit ratio", "d", List.of(), List.of(), List.of(), List.of(
                new ChartSpec.Lines("curve.png", "Hit ratio", "capacity %", "hit ratio",
                        Map.of("LRU", List.of(new double[] {2, 0.3}, new double[] {10, 0.55}, new double[] {50, Double.NaN}))),
                new ChartSpec.Bars("bars.png", "rps", "req/s", List.of("a", "b"),
                        Map.of("Outpost", List.of(1.0, Double.NaN), "nginx", List.of(2.0, 3.0)))), List.of());
        Report r = new Report("t", "quick", "1m", List.of(), List.of(), List.of(s));
        assertThat(Charts.writeAll(r, dir)).isEmpty();
        for (String f : List.of("curve.png", "bars.png")) {
            byte[] b = java.nio.file.Files.readAllBytes(dir.resolve(f));
            assertThat(b.length).isGreaterThan(1000);
            assertThat(new String(b, 1, 3, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("PNG");
        }
    }
}
