/**
 * Load generators and their parsers: {@link dev.outpost.loadtest.load.Wrk} (HTTP/1.1) and
 * {@link dev.outpost.loadtest.load.H2load} (HTTP/2) for throughput and latency, and
 * {@link dev.outpost.loadtest.load.RawHttpClient}, a plain keep-alive socket client the
 * scenarios use where they time or count each request themselves (herd, hit ratio, large object).
 */
package dev.outpost.loadtest.load;
