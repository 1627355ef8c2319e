/**
 * The seeded Zipf workload shared by the hit-ratio scenario and the simulator:
 * {@link dev.outpost.loadtest.zipf.ZipfTrace}.
 */
package dev.outpost.loadtest.zipf;
