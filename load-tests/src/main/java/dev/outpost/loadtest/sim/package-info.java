/**
 * The trace-driven hit-ratio simulator: {@link dev.outpost.loadtest.sim.HitRatioSimulator}
 * replays the suite's seeded Zipf trace against the edge's cache policy (Caffeine W-TinyLFU)
 * and LRU, so the measured hit ratios of real systems have a model to be read against.
 */
package dev.outpost.loadtest.sim;
