package dev.outpost.edge.http;

import org.jspecify.annotations.Nullable;
import java.util.ArrayList;
import java.util.List;

/**
 * Range requests on stored responses (RFC 9110 §14): parses {@code bytes=} ranges, applies
 * If-Range, and resolves ranges against a known length. An invalid Range field is ignored (the
 * whole response is sent); a valid one that no byte satisfies gets 416.
 */
public final class Ranges {

    /** Ranges beyond this many are refused (treated as not satisfiable) to avoid abuse. */
    static final int MAX_RANGES = 32;

    private Ranges() {
    }

    /** A resolved byte range, inclusive. */
    public record Range(long first, long last) {
        public long length() {
            return last - first + 1;
        }
    }

    /** What to do with a request's Range field. */
    public sealed interface Outcome permits Full, Partial, Unsatisfiable {
    }

    /** Send the whole response (no Range, invalid Range, or If-Range did not match). */
    public record Full() implements Outcome {
    }

    /** Send these ranges (one, or several as multipart/byteranges). */
    public record Partial(List<Range> ranges) implements Outcome {
    }

    /** 416 Range Not Satisfiable. */
    public record Unsatisfiable() implements Outcome {
    }

    private static final Full FULL = new Full();

    /**
     * @param rangeHeader the Range field value, or null
     * @param ifRange the If-Range field value, or null
     * @param response the stored response (for If-Range validators)
     * @param length the body length
     */
    public static Outcome evaluate(String rangeHeader, String ifRange, HeaderSource response, long length) {
        if (rangeHeader == null) {
            return FULL;
        }
        if (ifRange != null && !ifRangeMatches(ifRange.trim(), response)) {
            return FULL;
        }
        String spec = rangeHeader.trim();
        if (!spec.regionMatches(true, 0, "bytes=", 0, 6)) {
            return FULL;
        }
        String[] parts = spec.substring(6).split(",");
        if (parts.length > MAX_RANGES) {
            return new Unsatisfiable();
        }
        List<Range> ranges = new ArrayList<>();
        for (String part : parts) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int dash = p.indexOf('-');
            if (dash < 0) {
                return FULL;
            }
            String a = p.substring(0, dash).trim();
            String b = p.substring(dash + 1).trim();
            if (!digits(a) || !digits(b) || (a.isEmpty() && b.isEmpty())) {
                return FULL;
            }
            if (a.isEmpty()) {
                long suffix = parse(b);
                if (suffix == 0 || length == 0) {
                    continue;
                }
                ranges.add(new Range(Math.max(0, length - suffix), length - 1));
            } else {
                long first = parse(a);
                long last = b.isEmpty() ? length - 1 : Math.min(parse(b), length - 1);
                if (!b.isEmpty() && parse(b) < first) {
                    return FULL;
                }
                if (first < length) {
                    ranges.add(new Range(first, last));
                }
            }
        }
        if (ranges.isEmpty()) {
            return new Unsatisfiable();
        }
        return new Partial(coalesce(ranges));
    }

    /**
     * The range of a Range field that names exactly one range with both ends
     * ({@code bytes=first-last}) and passes If-Range, or null. Such a range can be answered
     * before the complete length is known (a response still streaming in, RFC 9110 §14.4:
     * {@code Content-Range: bytes first-last/*}).
     */
    public static @Nullable Range boundedSingle(String rangeHeader, String ifRange, HeaderSource response) {
        if (rangeHeader == null || (ifRange != null && !ifRangeMatches(ifRange.trim(), response))) {
            return null;
        }
        String spec = rangeHeader.trim();
        if (!spec.regionMatches(true, 0, "bytes=", 0, 6) || spec.indexOf(',') >= 0) {
            return null;
        }
        String p = spec.substring(6).trim();
        int dash = p.indexOf('-');
        if (dash <= 0) {
            return null;
        }
        String a = p.substring(0, dash).trim();
        String b = p.substring(dash + 1).trim();
        if (a.isEmpty() || b.isEmpty() || !digits(a) || !digits(b) || parse(b) < parse(a)) {
            return null;
        }
        return new Range(parse(a), parse(b));
    }

    private static boolean digits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return s.length() < 19;
    }

    private static long parse(String s) {
        return Long.parseLong(s);
    }

    /** Merges overlapping or adjacent ranges, keeping the order of the first. */
    static List<Range> coalesce(List<Range> ranges) {
        if (ranges.size() < 2) {
            return ranges;
        }
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort((x, y) -> Long.compare(x.first(), y.first()));
        List<Range> out = new ArrayList<>();
        Range cur = sorted.get(0);
        for (int i = 1; i < sorted.size(); i++) {
            Range r = sorted.get(i);
            if (r.first() <= cur.last() + 1) {
                cur = new Range(cur.first(), Math.max(cur.last(), r.last()));
            } else {
                out.add(cur);
                cur = r;
            }
        }
        out.add(cur);
        return out;
    }

    /** If-Range: a strong entity tag equal to the stored one, or exactly its Last-Modified date. */
    static boolean ifRangeMatches(String ifRange, HeaderSource response) {
        if (ifRange.startsWith("\"") || ifRange.startsWith("W/")) {
            String etag = response.first("etag");
            return etag != null && Conditionals.strongEquals(ifRange, etag);
        }
        long date = HttpDates.parse(ifRange);
        String lm = response.first("last-modified");
        return date != HttpDates.INVALID && lm != null && HttpDates.parse(lm) == date;
    }
}
