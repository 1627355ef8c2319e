package dev.outpost.config;

import java.time.Duration;

/**
 * How the control plane's authoritative DNS server answers: TTLs and how many edges per
 * answer. The top-level control-plane keys {@code dns-listen}, {@code zone} and {@code geoip}
 * set its address, zone and database; this holds the rest.
 *
 * @param ttl TTL of A and AAAA answers
 * @param answers how many edges an answer lists, nearest first
 */
public record DnsSettings(Duration ttl, Integer answers) {

    public static final DnsSettings DEFAULT = new DnsSettings(null, null);

    public DnsSettings {
        ttl = ttl == null ? Duration.ofSeconds(30) : ttl;
        answers = answers == null ? 1 : answers;
    }
}
