package dev.outpost.config.fleet;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Instant;
import java.util.List;

/**
 * How far a purge has got across the fleet. It is complete when every healthy node has acked
 * it; nodes that are unhealthy now replay it when they come back, before their next hit.
 *
 * @param sequence the purge's place in the log
 * @param acceptedAt when it was written to the log
 * @param purge what was purged
 * @param complete whether every healthy node has acked
 * @param acked nodes that have applied it
 * @param pending healthy nodes that have not acked yet
 * @param unhealthy unhealthy nodes that have not acked (they catch up when they return)
 * @param propagationSeconds from accepted to the last healthy node's ack, once complete
 */
public record PurgeStatus(
        long sequence,
        @JsonSerialize(using = InstantText.Write.class) @JsonDeserialize(using = InstantText.Read.class)
        Instant acceptedAt,
        Purge purge,
        boolean complete,
        List<String> acked,
        List<String> pending,
        List<String> unhealthy,
        Double propagationSeconds) {

    public PurgeStatus {
        acked = acked == null ? List.of() : List.copyOf(acked);
        pending = pending == null ? List.of() : List.copyOf(pending);
        unhealthy = unhealthy == null ? List.of() : List.copyOf(unhealthy);
    }
}
