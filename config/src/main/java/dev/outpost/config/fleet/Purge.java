package dev.outpost.config.fleet;

import java.util.List;

/**
 * One purge request: what to remove and how. The same document goes from the CLI to the
 * control plane, from the control plane to every node, and to a node's own admin
 * {@code POST /purge}.
 *
 * @param kind what {@code values} are: full URLs, URL prefixes, hosts, surrogate keys, or
 *     nothing ({@code all})
 * @param values the URLs, prefixes, hosts or tags
 * @param soft mark stale instead of deleting, so stale-while-revalidate and stale-if-error
 *     still shield the origin
 */
public record Purge(Kind kind, List<String> values, Boolean soft) {

    public Purge {
        if (kind == null) {
            throw new IllegalArgumentException("purge kind missing: url, prefix, host, tag or all");
        }
        values = values == null ? List.of() : List.copyOf(values);
        soft = soft != null && soft;
        if (kind != Kind.ALL && values.isEmpty()) {
            throw new IllegalArgumentException("purge " + kind.name().toLowerCase(java.util.Locale.ROOT) + " needs at least one value");
        }
    }

    /** What a purge's values name. */
    public enum Kind { URL, PREFIX, HOST, TAG, ALL }
}
