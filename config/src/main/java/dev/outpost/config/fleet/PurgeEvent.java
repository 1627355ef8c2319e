package dev.outpost.config.fleet;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Instant;

/**
 * A purge as written to the control plane's log and sent to nodes: the request and its place
 * in the order every node applies purges in.
 *
 * @param sequence position in the purge log, from 1, without gaps
 * @param acceptedAt when the control plane wrote it to the log
 * @param purge what to purge
 */
public record PurgeEvent(
        long sequence,
        @JsonSerialize(using = InstantText.Write.class) @JsonDeserialize(using = InstantText.Read.class)
        Instant acceptedAt,
        Purge purge) {
}
