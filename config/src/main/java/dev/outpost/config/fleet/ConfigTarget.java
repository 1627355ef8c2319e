package dev.outpost.config.fleet;

import java.util.Locale;

/**
 * Which nodes a config version is for: every node, the nodes of one region, or one node. A node
 * runs the newest version whose target includes it.
 *
 * @param kind all, region or node
 * @param value the region name or node id; null for {@code all}
 */
public record ConfigTarget(Kind kind, String value) {

    public static final ConfigTarget ALL = new ConfigTarget(Kind.ALL, null);

    public ConfigTarget {
        if (kind == null) {
            throw new IllegalArgumentException("target kind missing: all, region or node");
        }
        if (kind == Kind.ALL) {
            value = null;
        } else if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("target " + kind.name().toLowerCase(Locale.ROOT) + " needs a name");
        }
    }

    /** Parses {@code all}, {@code region=NAME} or {@code node=ID}. */
    public static ConfigTarget parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty() || t.equalsIgnoreCase("all")) {
            return ALL;
        }
        int eq = t.indexOf('=');
        if (eq > 0) {
            String k = t.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String v = t.substring(eq + 1).trim();
            if (k.equals("region") && !v.isEmpty()) {
                return new ConfigTarget(Kind.REGION, v);
            }
            if (k.equals("node") && !v.isEmpty()) {
                return new ConfigTarget(Kind.NODE, v);
            }
        }
        throw new IllegalArgumentException("not a target: '" + text + "' (use all, region=NAME or node=ID)");
    }

    /** Whether a node with this id and region runs versions of this target. */
    public boolean includes(String nodeId, String region) {
        return switch (kind) {
            case ALL -> true;
            case REGION -> value.equals(region);
            case NODE -> value.equals(nodeId);
        };
    }

    @Override
    public String toString() {
        return kind == Kind.ALL ? "all" : kind.name().toLowerCase(Locale.ROOT) + "=" + value;
    }

    /** What a target names. */
    public enum Kind { ALL, REGION, NODE }
}
