/**
 * Purge propagation benchmark. Start with {@link dev.outpost.loadtest.purge.PurgePropagationBench}:
 * a real control plane in process and simulated nodes ({@code SimulatedNode}) speaking the real
 * protocol over loopback; it prints p50/p99 from purge acceptance to the last ack.
 */
package dev.outpost.loadtest.purge;
