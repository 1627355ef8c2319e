package dev.outpost.config.fleet;

/**
 * A node's periodic sign of life, with its counters and progress. Progress rides along so a
 * lost ack is made good by the next heartbeat.
 *
 * @param stats the node's counters since it started (may be null)
 * @param configVersion the config version it runs
 * @param purgeSequence the last purge sequence it applied
 */
public record Heartbeat(NodeStats stats, Long configVersion, Long purgeSequence) {

    public Heartbeat {
        configVersion = configVersion == null ? 0L : configVersion;
        purgeSequence = purgeSequence == null ? 0L : purgeSequence;
    }
}
