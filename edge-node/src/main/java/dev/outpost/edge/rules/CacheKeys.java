package dev.outpost.edge.rules;

import dev.outpost.config.CacheKeyPolicy;
import dev.outpost.edge.cache.TieredCache;
import dev.outpost.edge.http.HeaderSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds cache keys from a normalised request and the rule's key policy. A URL key is
 * {@code host/path} plus the kept query parameters, sorted; the primary key adds the rule's
 * extra parts (scheme, request headers); a variant key adds the values of the fields a stored
 * response varies on, normalised so equivalent requests share one variant.
 */
public final class CacheKeys {

    private CacheKeys() {
    }

    /** {@code host + path [+ "?" + kept query, sorted]}. */
    public static String urlKey(String host, String path, String query, CacheKeyPolicy policy) {
        String q = keyQuery(query, policy);
        StringBuilder sb = new StringBuilder(host.length() + path.length() + q.length() + 1);
        sb.append(host).append(path);
        if (!q.isEmpty()) {
            sb.append('?').append(q);
        }
        return sb.toString();
    }

    /**
     * The path and the query as the key keeps it (parameters filtered and sorted): the target a
     * fill asks upstream for, so that the stored response is the one its key names.
     */
    public static String keyedTarget(String path, String query, CacheKeyPolicy policy) {
        String q = keyQuery(query, policy);
        return q.isEmpty() ? path : path + "?" + q;
    }

    static String keyQuery(String query, CacheKeyPolicy policy) {
        if (query == null || query.isEmpty() || policy.query() == CacheKeyPolicy.QueryMode.NONE) {
            return "";
        }
        String[] params = query.split("&");
        List<String> kept = new ArrayList<>(params.length);
        for (String p : params) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String name = eq < 0 ? p : p.substring(0, eq);
            boolean listed = policy.queryParams().contains(name);
            boolean keep = switch (policy.query()) {
                case ALLOW -> listed;
                case DENY -> !listed;
                default -> true;
            };
            if (keep) {
                kept.add(p);
            }
        }
        if (kept.size() > 1) {
            kept.sort(CacheKeys::compareParams);
        }
        return String.join("&", kept);
    }

    private static int compareParams(String a, String b) {
        int ea = a.indexOf('=');
        int eb = b.indexOf('=');
        String na = ea < 0 ? a : a.substring(0, ea);
        String nb = eb < 0 ? b : b.substring(0, eb);
        int c = na.compareTo(nb);
        return c != 0 ? c : a.compareTo(b);
    }

    /** The URL key plus the rule's extra key parts. */
    public static String primaryKey(String urlKey, CacheKeyPolicy policy, boolean https, HeaderSource request) {
        if (!policy.scheme() && policy.headers().isEmpty()) {
            return urlKey;
        }
        StringBuilder sb = new StringBuilder(urlKey.length() + 32).append(urlKey); // room for the parts: no regrowth
        if (policy.scheme()) {
            sb.append(TieredCache.EXTRA).append("scheme=").append(https ? "https" : "http");
        }
        for (String h : policy.headers()) {
            sb.append(TieredCache.EXTRA).append(h).append('=').append(fieldValue(h, request));
        }
        return sb.toString();
    }

    /** The primary key plus the normalised values of the fields named by Vary. */
    public static String variantKey(String primaryKey, List<String> varyNames, HeaderSource request) {
        return variantKey(primaryKey, varyNames, request, null);
    }

    /**
     * The variant key, with {@code acceptEncoding} (when not null) as the value of Accept-Encoding:
     * under a rule that compresses, the one encoding the node chose for the client
     * ({@code compress.AcceptEncodingKey}), so each URL keeps one variant per encoding.
     */
    public static String variantKey(String primaryKey, List<String> varyNames, HeaderSource request,
                                    String acceptEncoding) {
        StringBuilder sb = new StringBuilder(primaryKey);
        for (String name : varyNames) {
            sb.append(TieredCache.VARIANT).append(name).append('=');
            if (acceptEncoding != null && name.equals("accept-encoding")) {
                sb.append(acceptEncoding);
            } else {
                sb.append(fieldValue(name, request));
            }
        }
        return sb.toString();
    }

    /** The names in Vary fields, lower case, sorted, without duplicates. */
    public static List<String> varyNames(HeaderSource response) {
        List<String> names = new ArrayList<>();
        for (String line : response.all("vary")) {
            for (String n : line.split(",")) {
                String t = n.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty() && !names.contains(t)) {
                    names.add(t);
                }
            }
        }
        names.sort(null);
        return names;
    }

    /** A request field's value as keys use it: normalised per field, lines joined. */
    static String fieldValue(String name, HeaderSource request) {
        List<String> lines = request.all(name);
        if (name.equals("accept-encoding")) {
            // folded like the Accept-Encoding sent upstream: absent means identity there too
            return AcceptEncoding.preferred(lines);
        }
        if (lines.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(l.trim().replaceAll("\\s+", " "));
        }
        return sb.toString();
    }
}
