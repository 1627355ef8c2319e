package dev.outpost.loadtest.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap occupancy read from a JVM's {@code -Xlog:gc} lines ({@code ... Pause Young ... 20M->5M(60M) 3.1ms}):
 * before each collection (live plus garbage: the peak the heap reached) and after it (what
 * was still live).
 */
final class GcLog {

    private static final Pattern PAUSE = Pattern.compile("(\\d+)([BKMG])->(\\d+)([BKMG])\\((\\d+)([BKMG])\\)");

    /** One collection: used before, used after, committed, in bytes. */
    record Gc(long before, long after, long committed, boolean explicit) {
    }

    private GcLog() {
    }

    static List<Gc> parse(String log) {
        List<Gc> out = new ArrayList<>();
        for (String line : log.split("\n")) {
            Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                out.add(new Gc(bytes(m.group(1), m.group(2)), bytes(m.group(3), m.group(4)), bytes(m.group(5), m.group(6)),
                        line.contains("System.gc()") || line.contains("Diagnostic Command")));
            }
        }
        return out;
    }

    static long bytes(String n, String unit) {
        long v = Long.parseLong(n);
        return switch (unit) {
            case "K" -> v << 10;
            case "M" -> v << 20;
            case "G" -> v << 30;
            default -> v;
        };
    }
}
