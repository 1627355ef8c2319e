package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CachedResponse;
import dev.outpost.edge.compress.Compression;
import dev.outpost.edge.origin.UpstreamRequest;
import dev.outpost.edge.rules.AcceptEncoding;
import dev.outpost.edge.rules.CacheKeys;
import io.undertow.util.HeaderValues;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.RequestBody;

/**
 * Builds the request sent upstream from a client request: hop-by-hop and unkeyed fields
 * dropped, Accept-Encoding folded, forwarding fields appended (and believed only from trusted
 * proxies), Via and CDN-Loop added for loop detection, and for cache fills the client's own
 * conditionals and Range removed so the full response can be stored, and the target reduced
 * to what the cache key keeps of it (its query parameters filtered and sorted).
 */
final class UpstreamRequests {

    /** The CDN identifier in CDN-Loop (RFC 8586); the node id goes in its {@code node} parameter. */
    static final String CDN_ID = "outpost";

    private static final Set<String> CLIENT_CONDITIONALS = Set.of("if-none-match", "if-modified-since", "if-match",
            "if-unmodified-since", "if-range", "range");

    private final String nodeId;

    UpstreamRequests(String nodeId) {
        this.nodeId = nodeId;
    }

    /**
     * @param fill the response is to be stored: drop the client's conditionals, Range and
     *     cache directives
     * @param stored a stored response to revalidate (its validators are sent), or null
     */
    UpstreamRequest build(RequestContext ctx, String method, boolean fill, CachedResponse stored, RequestBody body,
                          String peerIp, boolean peerTrusted) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        Set<String> hop = Hop.hopByHop(ctx.headers);
        List<String> keyed = ctx.rule.cacheKey().headers();
        for (HeaderValues hv : ctx.exchange.getRequestHeaders()) {
            String name = hv.getHeaderName().toString();
            String lower = name.toLowerCase(Locale.ROOT);
            if (hop.contains(lower) || lower.equals("host") || lower.equals("content-length") || lower.equals("expect")
                    || lower.equals("accept-encoding") || lower.equals("x-forwarded-for") || lower.equals("forwarded")
                    || lower.equals("via") || lower.equals("cdn-loop")) {
                continue;
            }
            if (Hop.UNKEYED_REQUEST.contains(lower) && !keyed.contains(lower)) {
                continue;
            }
            if (fill && (CLIENT_CONDITIONALS.contains(lower) || lower.equals("cache-control") || lower.equals("pragma"))) {
                continue;
            }
            for (String v : hv) {
                names.add(name);
                values.add(v);
            }
        }
        names.add("Host");
        values.add(ctx.host);
        List<String> ae = ctx.headers.all("accept-encoding");
        names.add("Accept-Encoding");
        // under a rule that compresses, the one encoding chosen for the client: an origin that
        // encodes by itself is used as it is, else the node encodes what comes back
        values.add(ctx.encoding != null ? ctx.encoding : ae.isEmpty() ? "identity" : AcceptEncoding.preferred(ae));
        String xff = peerTrusted ? join(ctx.headers.all("x-forwarded-for")) : null;
        names.add("X-Forwarded-For");
        values.add(xff == null || xff.isEmpty() ? peerIp : xff + ", " + peerIp);
        if (!keyed.contains("x-forwarded-proto")) {
            names.add("X-Forwarded-Proto");
            values.add(ctx.https ? "https" : "http");
        }
        String fwd = peerTrusted ? join(ctx.headers.all("forwarded")) : null;
        String mine = "for=" + forwardedNode(peerIp) + ";proto=" + (ctx.https ? "https" : "http") + ";host=\"" + ctx.host + "\"";
        names.add("Forwarded");
        values.add(fwd == null || fwd.isEmpty() ? mine : fwd + ", " + mine);
        String via = join(ctx.headers.all("via"));
        names.add("Via");
        values.add((via == null || via.isEmpty() ? "" : via + ", ") + "1.1 " + nodeId);
        String loop = join(ctx.headers.all("cdn-loop"));
        names.add("CDN-Loop");
        values.add((loop == null || loop.isEmpty() ? "" : loop + ", ") + CDN_ID + "; node=" + nodeId);
        if (stored != null) {
            String etag = stored.etag();
            if (etag != null) {
                names.add("If-None-Match");
                // an encoding this node added is no tag the origin knows: ask with the origin's own
                values.add(stored.hasFlag(CachedResponse.EDGE_ENCODED) ? Compression.originEtag(etag) : etag);
            }
            String lm = stored.lastModified();
            if (lm != null) {
                names.add("If-Modified-Since");
                values.add(lm);
            }
        }
        // a fill asks for exactly what its key names: query parameters the key leaves out never
        // reach the origin (else one reflected in the body would be served to every client)
        String target = fill ? CacheKeys.keyedTarget(ctx.target.path(), ctx.target.query(), ctx.rule.cacheKey())
                : ctx.target.toUri();
        return new UpstreamRequest(method, target, names, values, body, ctx.primaryKey, ctx.clientIp,
                ctx.rule.origin());
    }

    private static String join(List<String> lines) {
        return lines.isEmpty() ? null : String.join(", ", lines);
    }

    private static String forwardedNode(String ip) {
        return ip.contains(":") ? "\"[" + ip + "]\"" : ip;
    }

    /** Whether a request already passed through this node (a loop between tiers). */
    boolean isLoop(RequestContext ctx) {
        for (String line : ctx.headers.all("cdn-loop")) {
            for (String member : line.split(",")) {
                String m = member.trim();
                if (m.startsWith(CDN_ID) && m.replace(" ", "").contains(";node=" + nodeId)) {
                    String[] params = m.split(";");
                    for (String p : params) {
                        String t = p.trim();
                        if (t.equals("node=" + nodeId)) {
                            return true;
                        }
                    }
                }
            }
        }
        for (String line : ctx.headers.all("via")) {
            for (String member : line.split(",")) {
                String[] parts = member.trim().split("\\s+");
                if (parts.length >= 2 && parts[1].equals(nodeId)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether a request comes from another node of the fleet (an edge asking its shield). */
    static boolean fromFleet(io.undertow.util.HeaderMap headers) {
        HeaderValues loop = headers.get("CDN-Loop");
        if (loop == null) {
            return false;
        }
        for (String line : loop) {
            for (String member : line.split(",")) {
                String m = member.trim();
                if (m.equals(CDN_ID) || m.startsWith(CDN_ID + ";") || m.startsWith(CDN_ID + " ")) {
                    return true;
                }
            }
        }
        return false;
    }
}
