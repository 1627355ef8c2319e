package dev.outpost.edge.proxy;

import dev.outpost.config.DeliveryConfig;
import dev.outpost.edge.origin.Upstream;
import dev.outpost.edge.rules.RuleSet;

/**
 * What the node delivers right now: one config version with its compiled rules and upstream.
 * Swapped atomically on a config change; a request reads it once and keeps it to the end.
 *
 * @param version config version (0 for a standalone node's own file)
 */
public record Delivery(long version, DeliveryConfig config, RuleSet rules, Upstream upstream) {
}
