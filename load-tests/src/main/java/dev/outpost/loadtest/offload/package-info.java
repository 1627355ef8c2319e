/**
 * Origin offload with and without a shield: {@link dev.outpost.loadtest.offload.OffloadBench}
 * runs one seeded Zipf workload over three in-process edges, once with the edges fetching from
 * the origin directly and once through a shield, and reports client requests per origin request
 * for both.
 */
package dev.outpost.loadtest.offload;
