package dev.outpost.config.fleet;

import dev.outpost.config.Coordinates;
import dev.outpost.config.NodeConfig;
import java.util.List;

/**
 * What a node tells the control plane when it (re)connects: who and where it is, how to reach
 * it, and how far it has got, so the control plane knows at once which purges and which config
 * the node still needs.
 *
 * @param nodeId unique name of the node in the fleet
 * @param region the node's region (config targets and stats group by it)
 * @param role edge or shield; only edges are steered to by DNS
 * @param coordinates where the node is, for nearest-edge steering
 * @param publicAddresses the IP addresses clients reach it on (DNS answers)
 * @param adminUrl its admin listener, e.g. {@code http://10.0.0.5:9080}
 * @param configVersion the config version it runs now (0: none)
 * @param purgeSequence the last purge sequence it applied (0: none)
 * @param instance a random name the node keeps in its data directory: a restart of the same
 *     node registers with the same one, another node that took the same id does not, and the
 *     control plane refuses it while the first is live (null from nodes that send none: no check)
 */
public record NodeRegistration(
        String nodeId,
        String region,
        NodeConfig.Role role,
        Coordinates coordinates,
        List<String> publicAddresses,
        String adminUrl,
        Long configVersion,
        Long purgeSequence,
        String instance) {

    public NodeRegistration {
        region = region == null || region.isBlank() ? "default" : region;
        role = role == null ? NodeConfig.Role.EDGE : role;
        publicAddresses = publicAddresses == null ? List.of() : List.copyOf(publicAddresses);
        configVersion = configVersion == null ? 0L : configVersion;
        purgeSequence = purgeSequence == null ? 0L : purgeSequence;
    }

    /** A registration without an instance name (no check against id collisions). */
    public NodeRegistration(String nodeId, String region, NodeConfig.Role role, Coordinates coordinates,
                            List<String> publicAddresses, String adminUrl, Long configVersion, Long purgeSequence) {
        this(nodeId, region, role, coordinates, publicAddresses, adminUrl, configVersion, purgeSequence, null);
    }
}
