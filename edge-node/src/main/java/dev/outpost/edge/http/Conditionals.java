package dev.outpost.edge.http;

import org.jspecify.annotations.Nullable;
/**
 * Evaluates a client's conditional request against a stored (or just received) response, per
 * RFC 9110 §13.2.2: If-None-Match (weak comparison, {@code *}) takes precedence over
 * If-Modified-Since, which is only considered for GET and HEAD.
 */
public final class Conditionals {

    private Conditionals() {
    }

    /** Whether a GET or HEAD should be answered 304 Not Modified. */
    public static boolean notModified(HeaderSource request, HeaderSource response) {
        String inm = join(request, "if-none-match");
        if (inm != null) {
            String etag = response.first("etag");
            return matchesAny(inm, etag, true);
        }
        String ims = request.first("if-modified-since");
        if (ims != null) {
            long since = HttpDates.parse(ims);
            if (since == HttpDates.INVALID) {
                return false;
            }
            // RFC 9111 §4.3.2: without Last-Modified, the stored response's Date stands in
            long lastModified = HttpDates.parse(response.first("last-modified"));
            if (lastModified == HttpDates.INVALID) {
                lastModified = HttpDates.parse(response.first("date"));
            }
            return lastModified != HttpDates.INVALID && lastModified <= since;
        }
        return false;
    }

    /** Whether the request carries a condition this cache evaluates. */
    public static boolean isConditional(HeaderSource request) {
        return request.contains("if-none-match") || request.contains("if-modified-since");
    }

    private static @Nullable String join(HeaderSource h, String name) {
        var lines = h.all(name);
        if (lines.isEmpty()) {
            return null;
        }
        return lines.size() == 1 ? lines.get(0) : String.join(",", lines);
    }

    /** Whether an entity-tag list (or {@code *}) matches {@code etag}. */
    static boolean matchesAny(String list, String etag, boolean weak) {
        String trimmed = list.trim();
        if (trimmed.equals("*")) {
            return true; // a stored representation exists
        }
        if (etag == null) {
            return false;
        }
        for (String candidate : splitTags(trimmed)) {
            if (weak ? weakEquals(candidate, etag) : strongEquals(candidate, etag)) {
                return true;
            }
        }
        return false;
    }

    /** Weak comparison (RFC 9110 §8.8.3.2): opaque tags equal, W/ ignored. */
    public static boolean weakEquals(String a, String b) {
        return opaque(a).equals(opaque(b));
    }

    /** Strong comparison: neither weak, opaque tags equal. */
    public static boolean strongEquals(String a, String b) {
        return !a.trim().startsWith("W/") && !b.trim().startsWith("W/") && opaque(a).equals(opaque(b));
    }

    private static String opaque(String tag) {
        String t = tag.trim();
        return t.startsWith("W/") ? t.substring(2) : t;
    }

    /**
     * The entity tags of a list ({@code #entity-tag}, RFC 9110 §8.8.3); empty when the list is
     * malformed (an element that is not a quoted tag), so a malformed condition never matches.
     */
    private static java.util.List<String> splitTags(String list) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int i = 0;
        int n = list.length();
        while (i < n) {
            char c = list.charAt(i);
            if (c == ',' || c == ' ' || c == '\t') {
                i++;
                continue;
            }
            int start = i;
            if (c == 'W' && i + 1 < n && list.charAt(i + 1) == '/') {
                i += 2;
            }
            if (i >= n || list.charAt(i) != '"') {
                return java.util.List.of();
            }
            int close = list.indexOf('"', i + 1);
            if (close < 0) {
                return java.util.List.of();
            }
            out.add(list.substring(start, close + 1));
            i = close + 1;
            while (i < n && (list.charAt(i) == ' ' || list.charAt(i) == '\t')) {
                i++;
            }
            if (i < n && list.charAt(i) != ',') {
                return java.util.List.of();
            }
        }
        return out;
    }
}
