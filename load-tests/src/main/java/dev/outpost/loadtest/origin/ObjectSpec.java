package dev.outpost.loadtest.origin;

import java.util.Locale;
import java.util.Optional;

/**
 * What an origin path asks for. Paths name everything, so every system under test fetches the
 * same bytes for the same URL with no state shared beyond the path:
 * <ul>
 *   <li>{@code /obj/SIZE/ID}: cacheable for a day;</li>
 *   <li>{@code /ttl/SECONDS/SIZE/ID}: cacheable for SECONDS, then stale (revalidation);</li>
 *   <li>{@code /slow/MILLIS/SIZE/ID}: cacheable for a day, answered after MILLIS (herd);</li>
 *   <li>{@code /text/SIZE/ID}: cacheable for a day, {@code text/html} made of words (compression).</li>
 * </ul>
 * SIZE is bytes, or a number with {@code KiB}, {@code MiB} or {@code GiB}.
 */
record ObjectSpec(long size, String id, long maxAgeSeconds, long delayMillis, boolean text) {

    static final long DAY = 86_400;

    static Optional<ObjectSpec> parse(String path) {
        String[] p = path.split("/");
        // p[0] is "" because the path starts with '/'
        try {
            if (p.length == 4 && p[1].equals("obj")) {
                return Optional.of(new ObjectSpec(parseSize(p[2]), p[3], DAY, 0, false));
            }
            if (p.length == 4 && p[1].equals("text")) {
                return Optional.of(new ObjectSpec(parseSize(p[2]), p[3], DAY, 0, true));
            }
            if (p.length == 5 && p[1].equals("ttl")) {
                return Optional.of(new ObjectSpec(parseSize(p[3]), p[4], Long.parseLong(p[2]), 0, false));
            }
            if (p.length == 5 && p[1].equals("slow")) {
                return Optional.of(new ObjectSpec(parseSize(p[3]), p[4], DAY, Long.parseLong(p[2]), false));
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    static long parseSize(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        long mult = 1;
        if (t.endsWith("kib")) {
            mult = 1L << 10;
        } else if (t.endsWith("mib")) {
            mult = 1L << 20;
        } else if (t.endsWith("gib")) {
            mult = 1L << 30;
        }
        if (mult != 1) {
            t = t.substring(0, t.length() - 3);
        }
        long v = Long.parseLong(t) * mult;
        if (v < 0 || v > (64L << 30)) {
            throw new IllegalArgumentException("size out of range: " + s);
        }
        return v;
    }

    /** Strong validator: the same path always has the same bytes. */
    String etag() {
        return "\"" + size + "-" + id + "\"";
    }

    /** Where in the shared pattern this object's bytes start, so objects differ. */
    int patternOffset() {
        return Math.floorMod(id.hashCode() * 31 + Long.hashCode(size), BenchOrigin.PATTERN_SIZE);
    }
}
