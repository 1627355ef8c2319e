package dev.outpost.edge.http;

import org.jspecify.annotations.Nullable;
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
        if (lines == null || (lines instanceof java.util.Collection<?> c && c.isEmpty())) {
            return EMPTY; // the common case on the hit path: no allocation
        }
        CacheControl cc = new CacheControl();
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
     * structured-field dictionary. Returns null when the field is absent, empty or fails to
     * parse, in which case the cache falls back to the next field as RFC 9213 §2.2 requires.
     *
     * <p>Members are read with the types RFC 9213 §2.1 infers from Cache-Control: directives
     * without an argument are Booleans, delta-seconds are non-negative Integers, field-name
     * lists ({@code private}, {@code no-cache}) are Strings (or, leniently, inner lists of
     * Tokens or Strings). A member of any other type is not consumed: it is ignored, not
     * coerced (so {@code max-age=1.5} or {@code max-age="60"} count as absent). Parameters
     * are ignored.
     */
    public static @Nullable CacheControl parseTargeted(Iterable<String> lines) {
        if (lines == null || !lines.iterator().hasNext()) {
            return null;
        }
        java.util.Map<String, org.greenbytes.http.sfv.ListElement<?>> members;
        try {
            members = new org.greenbytes.http.sfv.Parser(lines).parseDictionary().get();
        } catch (RuntimeException e) {
            return null;
        }
        if (members.isEmpty()) {
            return null;
        }
        CacheControl cc = new CacheControl();
        cc.present = true;
        for (var e : members.entrySet()) {
            String name = e.getKey();
            Object v = e.getValue().get();
            switch (name) {
                case "max-age", "s-maxage", "stale-while-revalidate", "stale-if-error", "min-fresh", "max-stale" -> {
                    if (v instanceof Long l && l >= 0) {
                        cc.apply(name, Long.toString(l));
                    }
                }
                case "no-cache", "private" -> {
                    if (Boolean.TRUE.equals(v)) {
                        cc.apply(name, null);
                    } else if (v instanceof String str && !str.isBlank()) {
                        cc.apply(name, str);
                    } else if (v instanceof java.util.List<?> inner) {
                        StringBuilder sb = new StringBuilder();
                        for (Object o : inner) {
                            Object item = o instanceof org.greenbytes.http.sfv.Item<?> it ? it.get() : o;
                            if (item instanceof String str) {
                                sb.append(sb.isEmpty() ? "" : ",").append(str);
                            }
                        }
                        if (!sb.isEmpty()) {
                            cc.apply(name, sb.toString());
                        }
                    }
                }
                default -> {
                    if (Boolean.TRUE.equals(v)) {
                        cc.apply(name, null);
                    }
                }
            }
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
            String name = ows(s.substring(start, i)).toLowerCase(Locale.ROOT);
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
                    arg = ows(s.substring(a, i));
                }
            }
            if (!name.isEmpty()) {
                present = true;
                apply(name, arg);
            }
        }
    }

    private void apply(String name, @Nullable String arg) {
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
                List<String> names = fields(arg);
                if (names.isEmpty()) {
                    noCache = true;
                    noCacheFields = List.of();
                } else if (!noCache) {
                    noCacheFields = concat(noCacheFields, names);
                }
            }
            case "private" -> {
                List<String> names = fields(arg);
                if (names.isEmpty()) {
                    isPrivate = true;
                    privateFields = List.of();
                } else if (!isPrivate) {
                    privateFields = concat(privateFields, names);
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

    /** Strips optional whitespace (SP and HTAB only, RFC 9110 §5.6.3): other controls make a value invalid. */
    static String ows(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
            a++;
        }
        while (b > a && (s.charAt(b - 1) == ' ' || s.charAt(b - 1) == '\t')) {
            b--;
        }
        return s.substring(a, b);
    }

    private static long first(long current, @Nullable String arg) {
        return current != ABSENT ? current : delta(arg);
    }

    /** delta-seconds: digits only; overflow caps at 2^31; anything else is invalid. */
    static long delta(@Nullable String arg) {
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

    /**
     * The field names of a qualified no-cache or private, lower case. Elements that are not
     * tokens are dropped; none left (or no argument) means the bare directive, the stricter
     * reading.
     */
    private static List<String> fields(@Nullable String arg) {
        if (arg == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String f : arg.split(",")) {
            String t = ows(f).toLowerCase(Locale.ROOT);
            if (!t.isEmpty() && isToken(t) && !out.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        for (String s : b) {
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return List.copyOf(out);
    }

    /** RFC 9110 §5.6.2 token. */
    static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return !s.isEmpty();
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
