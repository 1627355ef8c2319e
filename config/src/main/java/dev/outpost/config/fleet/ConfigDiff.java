package dev.outpost.config.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What changed between two config versions, key by key, in the config's own key paths
 * ({@code rules[1].ttl}).
 *
 * @param from the older version compared
 * @param to the newer version compared
 * @param changes one entry per key added, removed or changed
 */
public record ConfigDiff(long from, long to, List<Change> changes) {

    public ConfigDiff {
        changes = changes == null ? List.of() : List.copyOf(changes);
    }

    /**
     * One changed key.
     *
     * @param path key path such as {@code rules[1].ttl}
     * @param op {@code added}, {@code removed} or {@code changed}
     * @param before the old value (absent when added)
     * @param after the new value (absent when removed)
     */
    public record Change(String path, String op, JsonNode before, JsonNode after) {
    }
}
