package dev.outpost.edge.hostile;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.testing.PrometheusText;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What a node in its own JVM holds, read from its {@code /metrics}: live heap (after a full
 * GC forced with jcmd, so garbage does not count), direct buffers, open file descriptors and
 * live threads. Bound tests take one before an attack, at its peak and after it.
 */
record NodeResources(double heapMiB, double directMiB, double openFiles, double threads) {

    private static final double MIB = 1024 * 1024;

    /** Forces a full GC in the node, then reads its meters. */
    static NodeResources of(EdgeProcess edge) {
        fullGc(edge.pid());
        String m = edge.admin("/metrics");
        return new NodeResources(PrometheusText.sum(m, "jvm_memory_used_bytes", "area", "heap") / MIB,
                PrometheusText.sum(m, "jvm_buffer_memory_used_bytes", "id", "direct") / MIB,
                PrometheusText.sum(m, "process_files_open_files"),
                PrometheusText.sum(m, "jvm_threads_live_threads"));
    }

    private static void fullGc(long pid) {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "heap %.1f MiB, direct %.1f MiB, %.0f files, %.0f threads", heapMiB, directMiB,
                openFiles, threads);
    }
}
