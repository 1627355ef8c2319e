package dev.outpost.controlplane.dns;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The DNS server's meters, on the one injected registry. Prometheus names:
 * {@code outpost_dns_queries_total{qtype,rcode}}, {@code outpost_dns_answers_total{region}},
 * {@code outpost_dns_ecs_queries_total}, {@code outpost_dns_query_seconds},
 * {@code outpost_dns_rate_limited_total{action}}, {@code outpost_dns_dropped_total{reason}},
 * {@code outpost_dns_geoip_reloads_total}. Tag values come from small fixed sets, so hostile
 * packets can't blow up the number of series.
 */
final class DnsMetrics {

    private static final Set<String> QTYPES = Set.of("A", "AAAA", "ANY", "SOA", "NS", "TXT", "MX", "CNAME", "PTR",
            "SRV", "CAA", "DS", "DNSKEY", "HTTPS", "SVCB", "AXFR", "IXFR", "HINFO");

    private static final int FAST_TYPES = 256;
    private static final int FAST_RCODES = 24;

    private final MeterRegistry registry;
    private final Counter[] fast = new Counter[FAST_TYPES * FAST_RCODES];
    private final ConcurrentHashMap<String, Counter> queries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> answers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> limited = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> dropped = new ConcurrentHashMap<>();
    private final Counter ecs;
    private final Counter reloads;
    private final Timer latency;

    DnsMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.ecs = Counter.builder("outpost.dns.ecs.queries")
                .description("Queries that carried an EDNS Client Subnet option").register(registry);
        this.reloads = Counter.builder("outpost.dns.geoip.reloads")
                .description("GeoIP database reloads after the file changed").register(registry);
        this.latency = Timer.builder("outpost.dns.query")
                .description("Time to answer one DNS query, from packet to response bytes").register(registry);
    }

    void query(int qtype, int rcode) {
        // the common pairs come from a table, no allocation per query
        if (qtype >= 0 && qtype < FAST_TYPES && rcode >= 0 && rcode < FAST_RCODES) {
            Counter c = fast[qtype * FAST_RCODES + rcode];
            if (c == null) {
                c = counter(qtype, rcode);
                fast[qtype * FAST_RCODES + rcode] = c;
            }
            c.increment();
            return;
        }
        counter(qtype, rcode).increment();
    }

    private Counter counter(int qtype, int rcode) {
        String t = qtype < 0 ? "NONE" : Type.string(qtype);
        if (!QTYPES.contains(t)) {
            t = qtype < 0 ? "NONE" : "OTHER";
        }
        String r = Rcode.string(rcode);
        String qt = t;
        return queries.computeIfAbsent(t + '/' + r, k -> Counter.builder("outpost.dns.queries")
                .description("DNS queries answered, by query type and response code")
                .tag("qtype", qt).tag("rcode", r).register(registry));
    }

    void answer(String region) {
        // regions come from the registry (operators name them), not from packets
        String r = region == null || region.isEmpty() ? "none" : region;
        answers.computeIfAbsent(r, k -> Counter.builder("outpost.dns.answers")
                .description("Edges given out in A/AAAA answers, by the edge's region")
                .tag("region", k).register(registry)).increment();
    }

    void ecs() {
        ecs.increment();
    }

    void geoipReloaded() {
        reloads.increment();
    }

    void rateLimited(ResponseRateLimiter.Verdict verdict) {
        String action = verdict == ResponseRateLimiter.Verdict.SLIP ? "slip" : "drop";
        limited.computeIfAbsent(action, k -> Counter.builder("outpost.dns.rate.limited")
                .description("UDP responses held back by response rate limiting (slip: sent truncated)")
                .tag("action", k).register(registry)).increment();
    }

    void dropped(String reason) {
        dropped.computeIfAbsent(reason, k -> Counter.builder("outpost.dns.dropped")
                .description("Packets dropped without an answer, by reason")
                .tag("reason", k).register(registry)).increment();
    }

    Timer latency() {
        return latency;
    }
}
