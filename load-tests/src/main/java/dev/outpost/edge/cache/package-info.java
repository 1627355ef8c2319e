/**
 * JMH benchmarks of the edge's {@code cache} package (same package, so the package-private
 * memory tier can be measured): start with {@link dev.outpost.edge.cache.MemoryTierBenchmark}.
 */
package dev.outpost.edge.cache;
