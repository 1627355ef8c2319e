package dev.outpost.edge.http;

/**
 * Builds this node's member of the {@code Cache-Status} field (RFC 9211), e.g.
 * {@code edge-1; hit; ttl=294} or {@code edge-1; fwd=miss; fwd-status=200; stored; ttl=300}.
 * Members of upstream caches (a shield) are kept before it, nearest-to-origin first.
 */
public final class CacheStatus {

    private final StringBuilder sb = new StringBuilder(64);

    private CacheStatus(String cacheId) {
        sb.append(cacheId);
    }

    /** A cache identifier as an sf-token when it can be one, else as an sf-string. */
    public static String identifier(String nodeId) {
        boolean token = !nodeId.isEmpty() && (Character.isLetter(nodeId.charAt(0)) || nodeId.charAt(0) == '*');
        for (int i = 0; token && i < nodeId.length(); i++) {
            char c = nodeId.charAt(i);
            token = c > 0x20 && c < 0x7f && "\"(),;<=>?@[\\]{}".indexOf(c) < 0;
        }
        if (token) {
            return nodeId;
        }
        return "\"" + nodeId.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * The start of a fresh hit's member, {@code ID; hit; ttl=}: a hit appends its remaining
     * seconds to it, one string built per hit instead of a builder and its copy.
     */
    public static String hitTtlPrefix(String cacheId) {
        return cacheId + "; hit; ttl=";
    }

    public static CacheStatus hit(String cacheId) {
        CacheStatus s = new CacheStatus(cacheId);
        s.sb.append("; hit");
        return s;
    }

    /** {@code fwd} is one of miss, uri-miss, vary-miss, stale, request, bypass, partial, method. */
    public static CacheStatus forward(String cacheId, String fwd) {
        CacheStatus s = new CacheStatus(cacheId);
        s.sb.append("; fwd=").append(fwd);
        return s;
    }

    public CacheStatus fwdStatus(int status) {
        sb.append("; fwd-status=").append(status);
        return this;
    }

    public CacheStatus stored() {
        sb.append("; stored");
        return this;
    }

    public CacheStatus collapsed() {
        sb.append("; collapsed");
        return this;
    }

    /** Remaining freshness in seconds; negative when stale. */
    public CacheStatus ttl(long millis) {
        sb.append("; ttl=").append(millis / 1000);
        return this;
    }

    public CacheStatus key(String key) {
        sb.append("; key=\"").append(key.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        return this;
    }

    /** A token or short string explaining the outcome, e.g. {@code stale-if-error}. */
    public CacheStatus detail(String detail) {
        sb.append("; detail=");
        boolean token = !detail.isEmpty() && Character.isLetter(detail.charAt(0))
                && detail.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_.:/*".indexOf(c) >= 0);
        if (token) {
            sb.append(detail);
        } else {
            sb.append('"').append(detail.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return this;
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
