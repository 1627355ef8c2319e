/**
 * Outpost's benchmark suite. Start reading at {@link dev.outpost.loadtest.BenchMain} (what
 * {@code load-tests/run} starts), then the scenarios in {@code scenario}; the systems under
 * test are in {@code system}, the origin they share in {@code origin}, load generators in
 * {@code load}, the report in {@code report}; {@code sim} is the trace-driven hit-ratio
 * simulator and {@code zipf} its workload. JMH microbenchmarks of the edge's hot paths live in
 * packages that mirror the production ones.
 */
package dev.outpost.loadtest;
