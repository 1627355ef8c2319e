package dev.outpost.edge.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parsed Cache-Control directives (RFC 9111 §5.2), of a response or of a request.
 *
 * <p>Parsing follows the RFC and never throws: names are case-insensitive, arguments may be
 * tokens or quoted strings, the first occurrence of a duplicated directive wins, and an
 * invalid delta-seconds value ({@code max-age=abc}, negative) is kept as {@link #INVALID} so
 * freshness treats the response as stale; values past 2^31 are capped at 2^31 as §1.2.2 says.
 */
public final class CacheControl {

    /** Directive absent. */
    public static final long ABSENT = -1;
    /** Directive present with an invalid argument. */
    public static final long INVALID = -2;
    /** The cap for delta-seconds that overflow (RFC 9111 §1.2.2). */
    public static final long DELTA_MAX = 2147483648L;

    public static final CacheControl EMPTY = new CacheControl();

    long maxAge = ABSENT;
    long sMaxAge = ABSENT;
    long staleWhileRevalidate = ABSENT;
    long staleIfError = ABSENT;
    long maxStale = ABSENT;
    long minFresh = ABSENT;
    boolean noStore;
    boolean noCache;
    List<String> noCacheFields = List.of();
    boolean isPrivate;
    List<String> privateFields = List.of();
    boolean isPublic;
    boolean mustRevalidate;
    boolean proxyRevalidate;
    boolean mustUnderstand;
    boolean immutable;
    boolean onlyIfCached;
    boolean noTransform;
    boolean present;

    private CacheControl() {
    }

    /** Parses every line of a Cache-Control field; null or empty means no directives. */
    public static CacheControl parse(Iterable<String> lines) {
        CacheControl cc = new CacheControl();
        if (lines == null) {
            return cc;
        }
        for (String line : lines) {
            if (line != null) {
                cc.parseLine(line);
            }
        }
        return cc;
    }

    public static CacheControl parse(String line) {
        CacheControl cc = new CacheControl();
        if (line != null) {
            cc.parseLine(line);
        }
        return cc;
    }

    /**
     * Parses a targeted cache-control field (RFC 9213, e.g. {@code CDN-Cache-Control}): a
     * structured-field dictionary. Returns null when the field is absent or fails to parse, in
     * which case the cache falls back to the next field as the RFC requires.
     */
    public static CacheControl parseTargeted(Iterable<String> lines) {
        if (lines == null || !lines.iterator().hasNext()) {
            return null;
        }
        org.greenbytes.http.sfv.Dictionary dict;
        try {
            dict = new org.greenbytes.http.sfv.Parser(lines).parseDictionary();
        } catch (RuntimeException e) {
            return null;
        }
        CacheControl cc = new CacheControl();
        for (var e : dict.get().entrySet()) {
            Object v = e.getValue().get();
            String arg;
            if (v instanceof Boolean b) {
                if (!b) {
                    continue;
                }
                arg = null;
            } else if (v instanceof Long || v instanceof Integer) {
                long l = ((Number) v).longValue();
                arg = l < 0 ? "invalid" : Long.toString(l);
            } else if (v instanceof java.util.List<?> inner) {
                StringBuilder sb = new StringBuilder();
                for (Object o : inner) {
                    Object item = o instanceof org.greenbytes.http.sfv.Item<?> it ? it.get() : o;
                    sb.append(sb.isEmpty() ? "" : ",").append(item);
                }
                arg = sb.toString();
            } else {
                arg = String.valueOf(v);
            }
            cc.present = true;
            cc.apply(e.getKey(), arg);
        }
        return cc;
    }

    private void parseLine(String s) {
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && (s.charAt(i) == ',' || s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                i++;
            }
            int start = i;
            while (i < n && s.charAt(i) != '=' && s.charAt(i) != ',') {
                i++;
            }
            String name = s.substring(start, i).trim().toLowerCase(Locale.ROOT);
            String arg = null;
            if (i < n && s.charAt(i) == '=') {
                i++;
                while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                    i++;
                }
                if (i < n && s.charAt(i) == '"') {
                    StringBuilder sb = new StringBuilder();
                    i++;
                    while (i < n && s.charAt(i) != '"') {
                        if (s.charAt(i) == '\\' && i + 1 < n) {
                            i++;
                        }
                        sb.append(s.charAt(i++));
                    }
                    i++; // closing quote (or end)
                    arg = sb.toString();
                    while (i < n && s.charAt(i) != ',') {
                        i++;
                    }
                } else {
                    int a = i;
                    while (i < n && s.charAt(i) != ',') {
                        i++;
                    }
                    arg = s.substring(a, i).trim();
                }
            }
            if (!name.isEmpty()) {
                present = true;
                apply(name, arg);
            }
        }
    }

    private void apply(String name, String arg) {
        switch (name) {
            case "max-age" -> maxAge = first(maxAge, arg);
            case "s-maxage" -> sMaxAge = first(sMaxAge, arg);
            case "stale-while-revalidate" -> staleWhileRevalidate = first(staleWhileRevalidate, arg);
            case "stale-if-error" -> staleIfError = first(staleIfError, arg);
            case "min-fresh" -> minFresh = first(minFresh, arg);
            case "max-stale" -> {
                if (maxStale == ABSENT) {
                    maxStale = arg == null ? DELTA_MAX : delta(arg);
                }
            }
            case "no-store" -> noStore = true;
            case "no-cache" -> {
                if (arg == null || arg.isBlank()) {
                    noCache = true;
                    noCacheFields = List.of();
                } else if (!noCache) {
                    noCacheFields = fields(noCacheFields, arg);
                }
            }
            case "private" -> {
                if (arg == null || arg.isBlank()) {
                    isPrivate = true;
                    privateFields = List.of();
                } else if (!isPrivate) {
                    privateFields = fields(privateFields, arg);
                }
            }
            case "public" -> isPublic = true;
            case "must-revalidate" -> mustRevalidate = true;
            case "proxy-revalidate" -> proxyRevalidate = true;
            case "must-understand" -> mustUnderstand = true;
            case "immutable" -> immutable = true;
            case "only-if-cached" -> onlyIfCached = true;
            case "no-transform" -> noTransform = true;
            default -> {
                // extensions are ignored (RFC 9111 §5.2.3)
            }
        }
    }

    private static long first(long current, String arg) {
        return current != ABSENT ? current : delta(arg);
    }

    /** delta-seconds: digits only; overflow caps at 2^31; anything else is invalid. */
    static long delta(String arg) {
        if (arg == null || arg.isEmpty()) {
            return INVALID;
        }
        long v = 0;
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c < '0' || c > '9') {
                return INVALID;
            }
            v = v * 10 + (c - '0');
            if (v > DELTA_MAX) {
                v = DELTA_MAX;
            }
        }
        return v;
    }

    private static List<String> fields(List<String> existing, String arg) {
        List<String> out = new ArrayList<>(existing);
        for (String f : arg.split(",")) {
            String t = f.trim().toLowerCase(Locale.ROOT);
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    /** Whether any directive was present at all. */
    public boolean present() {
        return present;
    }

    public long maxAge() {
        return maxAge;
    }

    public long sMaxAge() {
        return sMaxAge;
    }

    public long staleWhileRevalidate() {
        return staleWhileRevalidate;
    }

    public long staleIfError() {
        return staleIfError;
    }

    public long maxStale() {
        return maxStale;
    }

    public long minFresh() {
        return minFresh;
    }

    public boolean noStore() {
        return noStore;
    }

    /** Bare no-cache: every reuse needs revalidation. */
    public boolean noCache() {
        return noCache;
    }

    /** Fields named by a qualified no-cache: stored responses are kept without them. */
    public List<String> noCacheFields() {
        return noCacheFields;
    }

    /** Bare private: a shared cache must not store. */
    public boolean isPrivate() {
        return isPrivate;
    }

    /** Fields named by a qualified private: a shared cache stores the response without them. */
    public List<String> privateFields() {
        return privateFields;
    }

    public boolean isPublic() {
        return isPublic;
    }

    public boolean mustRevalidate() {
        return mustRevalidate;
    }

    public boolean proxyRevalidate() {
        return proxyRevalidate;
    }

    public boolean mustUnderstand() {
        return mustUnderstand;
    }

    public boolean immutable() {
        return immutable;
    }

    public boolean onlyIfCached() {
        return onlyIfCached;
    }

    public boolean noTransform() {
        return noTransform;
    }
}
