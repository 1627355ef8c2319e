package dev.outpost.edge.fleet;

import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.Purge;

/**
 * What the fleet agent needs from the node it runs in. The node implements it; the agent
 * calls it from its own threads, never from an I/O thread.
 */
public interface FleetHooks {

    /**
     * Validates and applies a delivery config atomically: requests already running finish
     * with the old one, new requests see the new one, none fails.
     *
     * @throws dev.outpost.config.ConfigException when the node refuses the config
     */
    void applyConfig(long version, DeliveryConfig config);

    /** Applies one purge to both cache tiers and to fills in flight. */
    void applyPurge(Purge purge);

    /** The node's counters, for heartbeats. */
    NodeStats stats();

    /**
     * Whether cached responses may be served without asking the origin. False while missed
     * purges are being replayed, and while cut off from the control plane for longer than the
     * bound under the {@code revalidate} policy; hits are then revalidated with the origin.
     */
    void hitsAllowed(boolean allowed);

    /**
     * The control plane refused the node for good: another live node holds its id. The node
     * should stop, saying {@code reason} (which tells the operator to set {@code --node-id}).
     */
    default void refused(String reason) {
    }
}
