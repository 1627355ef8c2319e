package dev.outpost.controlplane.api;

/** What a bearer token may do. */
enum Scope {
    /** read the fleet: nodes, configs, purges, stats */
    READ,
    /** change the fleet: push configs, purge, drain */
    WRITE,
    /** be a node: register, heartbeat, subscribe, ack */
    NODE
}
