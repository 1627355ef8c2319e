package dev.outpost.edge.hardening;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.testing.PrometheusText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a node in its own JVM holds, read from its {@code /metrics}: heap in use, direct
 * buffers, open files and live threads. A test of a bound records them before the attack, at
 * its peak (sampled in the background while it runs) and after, and writes the three rows to
 * {@code target/hardening/} for {@code docs/hardening.md}.
 */
public final class NodeFigures implements AutoCloseable {

    /** One reading. */
    public record Reading(double heapMiB, double directMiB, double files, double threads) {
        Reading max(Reading o) {
            return new Reading(Math.max(heapMiB, o.heapMiB), Math.max(directMiB, o.directMiB),
                    Math.max(files, o.files), Math.max(threads, o.threads));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "heap %.1f MiB, direct %.1f MiB, %.0f files, %.0f threads",
                    heapMiB, directMiB, files, threads);
        }

        String row(String label) {
            return String.format(Locale.ROOT, "%-7s heap %6.1f MiB, direct %6.1f MiB, open files %5.0f, threads %4.0f",
                    label, heapMiB, directMiB, files, threads);
        }
    }

    private final EdgeProcess edge;
    private final Reading before;
    private volatile Reading peak;
    private volatile boolean sampling = true;
    private final Thread sampler;

    private NodeFigures(EdgeProcess edge) {
        this.edge = edge;
        this.before = read(edge);
        this.peak = before;
        this.sampler = Thread.ofPlatform().daemon().name("figures").start(() -> {
            while (sampling) {
                try {
                    peak = peak.max(read(edge));
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // the node is busy or gone: the test's own assertions say which
                }
            }
        });
    }

    /** Takes the "before" reading now and samples the peak until {@link #close()}. */
    static NodeFigures start(EdgeProcess edge) {
        return new NodeFigures(edge);
    }

    /**
     * A reading right after a full GC forced in the node (jcmd): the heap that is live, which
     * is what state kept per request costs, rather than garbage not yet collected.
     */
    public static Reading readAfterGc(EdgeProcess edge) {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(edge.pid()), "GC.run").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return read(edge);
    }

    public static Reading read(EdgeProcess edge) {
        String m = edge.admin("/metrics");
        return new Reading(PrometheusText.sum(m, "jvm_memory_used_bytes", "area", "heap") / (1 << 20),
                PrometheusText.sum(m, "jvm_buffer_memory_used_bytes", "id", "direct") / (1 << 20),
                PrometheusText.sum(m, "process_files_open_files"),
                PrometheusText.sum(m, "jvm_threads_live_threads"));
    }

    Reading before() {
        return before;
    }

    Reading peak() {
        return peak;
    }

    /** Stops sampling and returns the figures' text: before, peak and {@code after} (read now). */
    String finish(String title, String sent) {
        close();
        Reading after = read(edge);
        peak = peak.max(after);
        String text = title + "\n  sent: " + sent + "\n  " + before.row("before") + "\n  " + peak.row("peak") + "\n  "
                + after.row("after") + "\n";
        System.out.print(text);
        try {
            Path dir = Files.createDirectories(Path.of("target", "hardening"));
            Files.writeString(dir.resolve(title.replaceAll("[^A-Za-z0-9]+", "-") + ".txt"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text;
    }

    @Override
    public void close() {
        sampling = false;
        sampler.interrupt();
        try {
            sampler.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
