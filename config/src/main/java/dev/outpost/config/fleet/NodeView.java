package dev.outpost.config.fleet;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.outpost.config.Coordinates;
import dev.outpost.config.NodeConfig;
import java.time.Instant;
import java.util.List;

/**
 * A node as the control plane sees it: what it registered, whether it is healthy or drained,
 * which config it runs against the one meant for it, and its last counters.
 *
 * @param health {@code healthy} while heartbeats are current, else {@code unhealthy}
 * @param drained an operator has drained it: DNS steers no new clients to it
 * @param connected whether it holds a subscription right now
 * @param configVersion the config version it acked
 * @param desiredConfigVersion the config version meant for it
 * @param configError why it refused its newest config version, if it did
 * @param purgeSequence the last purge it acked
 * @param requestsPerSecond client requests per second between its last two heartbeats
 */
public record NodeView(
        String nodeId,
        String region,
        NodeConfig.Role role,
        Coordinates coordinates,
        List<String> publicAddresses,
        String adminUrl,
        Health health,
        boolean drained,
        boolean connected,
        long configVersion,
        long desiredConfigVersion,
        String configError,
        long purgeSequence,
        @JsonSerialize(using = InstantText.Write.class) @JsonDeserialize(using = InstantText.Read.class)
        Instant registeredAt,
        @JsonSerialize(using = InstantText.Write.class) @JsonDeserialize(using = InstantText.Read.class)
        Instant lastHeartbeat,
        double requestsPerSecond,
        NodeStats stats) {

    public NodeView {
        publicAddresses = publicAddresses == null ? List.of() : List.copyOf(publicAddresses);
    }

    /** Whether heartbeats are current. */
    public enum Health { HEALTHY, UNHEALTHY }
}
