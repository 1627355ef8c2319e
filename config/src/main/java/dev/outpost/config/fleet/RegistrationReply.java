package dev.outpost.config.fleet;

import java.time.Duration;

/**
 * The control plane's answer to a registration: where the node stands against the fleet.
 *
 * @param nodeId the node's id, as registered
 * @param configVersion the config version meant for this node (0: none pushed yet)
 * @param purgeSequence the newest purge sequence in the log
 * @param heartbeatTimeout heartbeats further apart than this make the node unhealthy
 */
public record RegistrationReply(String nodeId, long configVersion, long purgeSequence, Duration heartbeatTimeout) {
}
