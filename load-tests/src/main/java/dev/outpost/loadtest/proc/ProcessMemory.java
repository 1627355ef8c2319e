package dev.outpost.loadtest.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resident memory of a server and its children, read from {@code /proc}: current RSS, and the
 * peak (VmHWM), which can be reset before a measurement so it covers only that measurement.
 */
public final class ProcessMemory {

    private ProcessMemory() {
    }

    /** The process and all its descendants (nginx's workers, Varnish's child). */
    public static List<Long> tree(long pid) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(h -> {
            pids.add(h.pid());
            h.descendants().forEach(d -> pids.add(d.pid()));
        });
        return pids;
    }

    /** CPU time (user and system) used so far by the process and its descendants, in ms; 0 when unreadable. */
    public static long cpuMillis(long pid) {
        long total = 0;
        for (long p : tree(pid)) {
            total += ProcessHandle.of(p).flatMap(h -> h.info().totalCpuDuration()).map(java.time.Duration::toMillis).orElse(0L);
        }
        return total;
    }

    /** Sum of VmRSS over the tree, in bytes; 0 when unreadable. */
    public static long rss(long pid) {
        return tree(pid).stream().mapToLong(p -> statusField(p, "VmRSS:")).sum();
    }

    /** Sum of VmHWM (peak RSS since start or since {@link #resetPeak}) over the tree, in bytes. */
    public static long peakRss(long pid) {
        return tree(pid).stream().mapToLong(p -> statusField(p, "VmHWM:")).sum();
    }

    /** Resets the peak RSS of the tree (Linux: write 5 to clear_refs; needs the right to do so). */
    public static boolean resetPeak(long pid) {
        boolean all = true;
        for (long p : tree(pid)) {
            try {
                Files.writeString(Path.of("/proc", Long.toString(p), "clear_refs"), "5");
            } catch (IOException e) {
                all = false;
            }
        }
        return all;
    }

    static long statusField(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field)) {
                    return parseKb(line.substring(field.length())) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    static long parseKb(String value) {
        String v = value.trim();
        int sp = v.indexOf(' ');
        return Long.parseLong(sp > 0 ? v.substring(0, sp) : v);
    }
}
