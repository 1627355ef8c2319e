package dev.outpost.config.fleet;

/**
 * Sent on a node's subscription once everything the node missed has been sent: its config
 * version first, then every purge after the sequence it asked from. A node that has applied
 * everything before this marker is caught up and may serve hits again.
 *
 * @param configVersion the config version meant for the node (0: none)
 * @param purgeSequence the last purge sent before this marker
 */
public record SyncMarker(long configVersion, long purgeSequence) {
}
