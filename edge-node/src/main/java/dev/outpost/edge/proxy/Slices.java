package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CachedResponse;
import dev.outpost.edge.cache.TieredCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The arithmetic of slice fetching ({@code slice-size}), apart from any I/O: which range
 * requests are sliced, the key a slice is stored under, the aligned range asked upstream, and
 * what a slice's {@code Content-Range} says.
 */
final class Slices {

    private Slices() {
    }

    /** A client range to answer from slices: {@code first} to {@code last} inclusive, {@code last} -1 for "to the end". */
    record Wanted(long first, long last) {
    }

    /** What a 206's {@code Content-Range: bytes first-last/complete} says; {@code complete} -1 for {@code *}. */
    record Part(long first, long last, long complete) {
    }

    /**
     * The range a GET asks for when it can be answered from slices: one range, {@code a-b} or
     * {@code a-} with a above 0 (a client asking for everything from 0 gets the whole object
     * stored as before), no If-Range. Null otherwise: several ranges, suffix ranges (their
     * start needs the length) and invalid fields keep today's handling.
     */
    static Wanted wanted(String range, String ifRange) {
        if (range == null || ifRange != null) {
            return null;
        }
        String spec = range.trim();
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
        if (!digits(a) || !b.isEmpty() && !digits(b)) {
            return null;
        }
        long first = Long.parseLong(a);
        if (b.isEmpty()) {
            return first == 0 ? null : new Wanted(first, -1);
        }
        long last = Long.parseLong(b);
        return last < first ? null : new Wanted(first, last);
    }

    private static boolean digits(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * The storage key of slice {@code index}: an extra part of the primary key, so purges of the
     * URL (which take every extra part and variant) take its slices too; the slice size is in it,
     * so slices cut to another size are never mixed in.
     */
    static String key(String primaryKey, long sliceSize, long index) {
        return primaryKey + TieredCache.EXTRA + "slice " + sliceSize + " " + index;
    }

    /** The Range field asked upstream for slice {@code index}. */
    static String upstreamRange(long sliceSize, long index) {
        long start = index * sliceSize;
        return "bytes=" + start + "-" + (start + sliceSize - 1);
    }

    /** A Content-Range of a 206, or null when there is none or it is not {@code bytes a-b/n} or {@code bytes a-b/*}. */
    static Part part(String contentRange) {
        if (contentRange == null) {
            return null;
        }
        String v = contentRange.trim();
        if (!v.regionMatches(true, 0, "bytes ", 0, 6)) {
            return null;
        }
        v = v.substring(6).trim();
        int dash = v.indexOf('-');
        int slash = v.indexOf('/');
        if (dash <= 0 || slash < dash) {
            return null;
        }
        String a = v.substring(0, dash).trim();
        String b = v.substring(dash + 1, slash).trim();
        String n = v.substring(slash + 1).trim();
        if (!digits(a) || !digits(b) || !n.equals("*") && !digits(n)) {
            return null;
        }
        long first = Long.parseLong(a);
        long last = Long.parseLong(b);
        long complete = n.equals("*") ? -1 : Long.parseLong(n);
        if (last < first || complete >= 0 && last >= complete) {
            return null;
        }
        return new Part(first, last, complete);
    }

    /**
     * Whether two slices are of one representation (RFC 9110 §8.8): equal strong entity tags, or
     * without tags equal Last-Modified dates; slices with neither are never taken for one.
     */
    static boolean sameRepresentation(CachedResponse a, CachedResponse b) {
        String ea = a.etag();
        String eb = b.etag();
        if (ea != null || eb != null) {
            return ea != null && ea.equals(eb) && !ea.startsWith("W/");
        }
        String la = a.lastModified();
        return la != null && la.equals(b.lastModified());
    }

    /** {@code head} under another key and status, without Content-Range when {@code status} is 200. */
    static CachedResponse withoutContentRange(CachedResponse head, String key, int status) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < head.headerNames().length; i++) {
            if (status == 200 && head.headerNames()[i].toLowerCase(Locale.ROOT).equals("content-range")) {
                continue;
            }
            names.add(head.headerNames()[i]);
            values.add(head.headerValues()[i]);
        }
        return new CachedResponse(key, status, names.toArray(String[]::new), values.toArray(String[]::new),
                head.requestTime(), head.responseTime(), head.correctedInitialAge(), head.lifetime(),
                head.staleWhileRevalidate(), head.staleIfError(), head.flags(), head.bodyLength(), head.fillId(),
                head.chunkSize(), head.tags(), head.varyNames(), head.purgedAt());
    }
}
