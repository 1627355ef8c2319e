package dev.outpost.edge.metrics;

import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.TierStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The node's request counters, once for Prometheus (Micrometer meters, created up front so
 * the hot path only increments) and once as plain adders for {@code /stats} and heartbeats.
 *
 * <p>Names as Prometheus shows them: {@code outpost_requests_total{cache,tier}},
 * {@code outpost_response_bytes_total{cache,tier}}, {@code outpost_origin_requests_total{status}},
 * {@code outpost_origin_bytes_total}, {@code outpost_request_duration_seconds},
 * {@code outpost_origin_duration_seconds}, {@code outpost_health_checks_total} (probes, apart from requests).
 */
public final class EdgeMetrics {

    /** Tier label values. */
    public static final String MEMORY = "memory";
    public static final String DISK = "disk";
    public static final String NONE = "none";

    private final MeterRegistry registry;
    private final Map<Outcome, Map<String, Counter>> requests = new EnumMap<>(Outcome.class);
    private final Map<Outcome, Map<String, Counter>> bytes = new EnumMap<>(Outcome.class);
    private final Map<String, Counter> originByStatus = new ConcurrentHashMap<>();
    private final Counter originBytes;
    private final Map<String, Counter> compressions = new ConcurrentHashMap<>();
    private final Map<String, Counter> decompressions = new ConcurrentHashMap<>();
    private final Counter compressionBytesIn;
    private final Counter compressionBytesOut;
    private final Counter compressionSeconds;
    private final Counter compressionsRefused;
    private final Counter healthChecks;
    private final Timer requestTimer;
    private final Timer originTimer;
    private final LongAdder[] outcomeCount = new LongAdder[Outcome.values().length];
    private final LongAdder totalBytes = new LongAdder();
    private final LongAdder hitBytes = new LongAdder();
    private final LongAdder memoryHits = new LongAdder();
    private final LongAdder memoryHitBytes = new LongAdder();
    private final LongAdder diskHits = new LongAdder();
    private final LongAdder diskHitBytes = new LongAdder();
    private final LongAdder originRequests = new LongAdder();
    private final LongAdder originByteCount = new LongAdder();

    public EdgeMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Outcome o : Outcome.values()) {
            outcomeCount[o.ordinal()] = new LongAdder();
            Map<String, Counter> r = new LinkedHashMap<>();
            Map<String, Counter> b = new LinkedHashMap<>();
            for (String tier : new String[] {MEMORY, DISK, NONE}) {
                r.put(tier, Counter.builder("outpost.requests").tag("cache", o.label()).tag("tier", tier)
                        .description("Client requests by how they were answered and from which tier").register(registry));
                b.put(tier, Counter.builder("outpost.response.bytes").tag("cache", o.label()).tag("tier", tier)
                        .description("Body bytes sent to clients").register(registry));
            }
            requests.put(o, r);
            bytes.put(o, b);
        }
        healthChecks = Counter.builder("outpost.health.checks")
                .description("Health probes answered (GET /.well-known/outpost/health); not client requests").register(registry);
        compressionBytesIn = Counter.builder("outpost.compression.bytes.in")
                .description("Body bytes the edge compressed, before compression").register(registry);
        compressionBytesOut = Counter.builder("outpost.compression.bytes.out")
                .description("Body bytes the edge compressed, after compression").register(registry);
        compressionsRefused = Counter.builder("outpost.compressions.refused")
                .description("Compressed misses relayed uncompressed and unstored: limits.max-concurrent-compressions were busy")
                .register(registry);
        compressionSeconds = Counter.builder("outpost.compression.seconds")
                .description("Time spent in encoders compressing response bodies").register(registry);
        originBytes = Counter.builder("outpost.origin.bytes").description("Body bytes received from upstream").register(registry);
        // histogram buckets only (percentiles by PromQL's histogram_quantile): client-side
        // percentiles would cost every request a sliding-window update on the hit path
        requestTimer = Timer.builder("outpost.request.duration").description("Time to answer a client request")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
        originTimer = Timer.builder("outpost.origin.duration").description("Time from upstream request to response head")
                .publishPercentiles(0.5, 0.9, 0.99).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Records one answered request. */
    public void request(Outcome outcome, String tier, long bodyBytes, long durationNanos) {
        requests.get(outcome).get(tier).increment();
        outcomeCount[outcome.ordinal()].increment();
        if (bodyBytes > 0) {
            bytes.get(outcome).get(tier).increment(bodyBytes);
            totalBytes.add(bodyBytes);
            if (outcome.fromCache()) {
                hitBytes.add(bodyBytes);
            }
        }
        if (outcome == Outcome.HIT || outcome == Outcome.STALE || outcome == Outcome.REVALIDATED) {
            if (MEMORY.equals(tier)) {
                memoryHits.increment();
                memoryHitBytes.add(bodyBytes);
            } else if (DISK.equals(tier)) {
                diskHits.increment();
                diskHitBytes.add(bodyBytes);
            }
        }
        requestTimer.record(durationNanos, TimeUnit.NANOSECONDS);
    }

    /** Records one health probe answered: counted apart from client requests, so probes are never traffic or errors. */
    public void healthCheck() {
        healthChecks.increment();
    }

    /** Records one upstream exchange: its status (or "error"), head latency. */
    public void origin(String status, long headNanos) {
        originByStatus.computeIfAbsent(status, s -> Counter.builder("outpost.origin.requests").tag("status", s)
                .description("Requests sent upstream, by response status").register(registry)).increment();
        originRequests.increment();
        if (headNanos >= 0) {
            originTimer.record(headNanos, TimeUnit.NANOSECONDS);
        }
    }

    public void originBytes(long n) {
        originBytes.increment(n);
        originByteCount.add(n);
    }

    /**
     * Records one body the edge encoded (compression at the edge): the encoding, bytes in (as the
     * origin sent them) and out (as stored), and the CPU-bound time spent in the encoder.
     */
    public void compression(String encoding, long bytesIn, long bytesOut, long nanos) {
        compressions.computeIfAbsent(encoding, e -> Counter.builder("outpost.compressions").tag("encoding", e)
                .description("Response bodies the edge compressed, by encoding").register(registry)).increment();
        compressionBytesIn.increment(bytesIn);
        compressionBytesOut.increment(bytesOut);
        compressionSeconds.increment(nanos / 1e9);
    }

    /** Records one compressed miss relayed uncompressed and unstored: {@code limits.max-concurrent-compressions} were busy. */
    public void compressionRefused() {
        compressionsRefused.increment();
    }

    /** Records one body the edge decoded for a client that accepts none of the origin's encoding. */
    public void decompression(String encoding) {
        decompressions.computeIfAbsent(encoding, e -> Counter.builder("outpost.decompressions").tag("encoding", e)
                .description("Response bodies the edge decoded for clients that accept none of their encoding")
                .register(registry)).increment();
    }

    public long count(Outcome o) {
        return outcomeCount[o.ordinal()].sum();
    }

    /** The counters as {@code /stats} and heartbeats report them. */
    public NodeStats stats(LongSupplier memoryBytes, LongSupplier memoryEntries, LongSupplier diskBytes,
                           LongSupplier diskEntries, LongSupplier memoryEvictions, LongSupplier diskEvictions,
                           java.util.function.Supplier<String> diskState) {
        long hits = count(Outcome.HIT);
        long stale = count(Outcome.STALE);
        long revalidated = count(Outcome.REVALIDATED);
        long misses = count(Outcome.MISS);
        long bypass = count(Outcome.BYPASS);
        long errors = count(Outcome.ERROR);
        long requestsTotal = hits + stale + revalidated + misses + bypass + errors;
        long cacheable = hits + stale + revalidated + misses;
        long total = totalBytes.sum();
        long origin = originRequests.sum();
        Map<String, TierStats> tiers = new LinkedHashMap<>();
        tiers.put(MEMORY, new TierStats(memoryHits.sum(), memoryHitBytes.sum(), memoryBytes.getAsLong(),
                memoryEntries.getAsLong(), memoryEvictions.getAsLong()));
        tiers.put(DISK, new TierStats(diskHits.sum(), diskHitBytes.sum(), diskBytes.getAsLong(),
                diskEntries.getAsLong(), diskEvictions.getAsLong(), diskState.get()));
        return new NodeStats(requestsTotal, hits + stale, misses, stale, revalidated, bypass, errors, total, hitBytes.sum(),
                origin, originByteCount.sum(),
                cacheable == 0 ? 0 : (double) (hits + stale + revalidated) / cacheable,
                total == 0 ? 0 : (double) hitBytes.sum() / total,
                origin == 0 ? requestsTotal : (double) requestsTotal / origin,
                tiers);
    }
}
