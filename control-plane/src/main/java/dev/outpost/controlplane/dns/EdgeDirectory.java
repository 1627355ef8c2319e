package dev.outpost.controlplane.dns;

import java.util.List;

/**
 * The edges DNS may answer with, as the node registry knows them. The registry implements it;
 * steering reads {@link #edges()} and recomputes its answers whenever {@link #version()}
 * changes, so an edge that turns unhealthy or is drained drops out at once.
 */
public interface EdgeDirectory {

    /** Every registered edge (role edge), healthy or not. */
    List<EdgeCandidate> edges();

    /** Increases whenever any edge's health, drain state, address or coordinates change. */
    long version();

    /**
     * Whether the health in {@link #edges()} is recent enough to answer from. A control-plane
     * replica whose shared store is unreachable for longer than the bound says no, and DNS then
     * answers SERVFAIL (resolvers ask another replica) rather than steer from an old view.
     */
    default boolean current() {
        return true;
    }
}
