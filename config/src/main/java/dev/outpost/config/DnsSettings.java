package dev.outpost.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How the control plane's authoritative DNS server answers. The top-level control-plane keys
 * {@code dns-listen}, {@code zone} and {@code geoip} set its address, main zone and database;
 * this holds the rest: which names exist and which pool of edges each answers with, TTLs, how
 * many edges per answer, what clients with no known location get, overrides of the
 * nearest-distance rule, and the limits that keep the server from being an amplifier.
 * Every field has a safe default, so {@code dns: {}} (or no {@code dns} key) is a working server
 * that answers the zone apex with the nearest healthy edge.
 *
 * @param ttl TTL of A and AAAA answers (default 30s)
 * @param degradedTtl TTL while degraded: fewer healthy edges than answers wanted (default 5s)
 * @param answers how many edges an answer lists, nearest first (default 1)
 * @param zones further zones the server is authoritative for, beside the top-level {@code zone}
 * @param names names answered with edges, each mapped to a pool; relative names are under the
 *     main zone, absolute ones end with one of the zones; the apex of every zone answers with
 *     every edge unless listed here; absent means {@code [www]}, {@code []} the apexes alone;
 *     any other name in a zone is NXDOMAIN
 * @param nameservers the zones' NS records (default {@code ns1.<zone>}, no addresses)
 * @param soa the SOA at every zone's apex; its TTL and minimum make the negative TTL
 * @param fallback what clients with no known location get (private or unknown addresses)
 * @param overrides per-network, per-country and per-continent steering that wins over distance
 * @param regionWeights weight per region, multiplied by each node's own weight
 * @param nearKm edges this much farther than the nearest still count as "as near" and share
 *     clients by weight (default 500)
 * @param fallbackAnswers most edges listed while no healthy edge is left (default 2)
 * @param staticFallback addresses answered when a pool has no edge at all (bounded list)
 * @param rateLimit responses per second per source network over UDP
 * @param maxUdpPayload largest UDP response sent, whatever the requester offers (default 1232)
 * @param geoipCheckInterval how often the GeoIP file is checked for a new version (default 10s)
 * @param tcpMaxConnections open TCP connections at most (default 256)
 * @param tcpIdleTimeout a TCP connection with no query for this long is closed (default 10s)
 * @param udpThreads threads receiving and answering UDP (default 2)
 * @param tcpMaxConnectionsPerClient open TCP connections from one address at most (default 16):
 *     one address cannot take every connection slot
 * @param tcpQueryTimeout once the first byte of a TCP query arrives, the whole query must within
 *     this (default 5s): a client dripping bytes is cut off
 */
public record DnsSettings(
        Duration ttl,
        Duration degradedTtl,
        Integer answers,
        List<String> zones,
        List<Name> names,
        List<Nameserver> nameservers,
        Soa soa,
        Fallback fallback,
        List<Override> overrides,
        Map<String, Double> regionWeights,
        Double nearKm,
        Integer fallbackAnswers,
        List<String> staticFallback,
        DnsRateLimit rateLimit,
        Integer maxUdpPayload,
        Duration geoipCheckInterval,
        Integer tcpMaxConnections,
        Duration tcpIdleTimeout,
        Integer udpThreads,
        Integer tcpMaxConnectionsPerClient,
        Duration tcpQueryTimeout) {

    /** The names answered when {@code names} is absent: {@code www} (and the apex, always). */
    public static final List<Name> DEFAULT_NAMES = List.of(new Name("www", null, null, null));

    /** Every default (declared after {@link #DEFAULT_NAMES}, which it uses). */
    public static final DnsSettings DEFAULT = new DnsSettings(null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null);

    /** Every key but {@code tcp-max-connections-per-client} and {@code tcp-query-timeout}, which take their defaults. */
    public DnsSettings(Duration ttl, Duration degradedTtl, Integer answers, List<String> zones, List<Name> names,
                       List<Nameserver> nameservers, Soa soa, Fallback fallback, List<Override> overrides,
                       Map<String, Double> regionWeights, Double nearKm, Integer fallbackAnswers, List<String> staticFallback,
                       DnsRateLimit rateLimit, Integer maxUdpPayload, Duration geoipCheckInterval, Integer tcpMaxConnections,
                       Duration tcpIdleTimeout, Integer udpThreads) {
        this(ttl, degradedTtl, answers, zones, names, nameservers, soa, fallback, overrides, regionWeights, nearKm,
                fallbackAnswers, staticFallback, rateLimit, maxUdpPayload, geoipCheckInterval, tcpMaxConnections,
                tcpIdleTimeout, udpThreads, null, null);
    }

    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
    private static final Pattern ISO = Pattern.compile("[A-Z]{2}");

    public DnsSettings {
        ttl = ttl == null ? Duration.ofSeconds(30) : ttl;
        degradedTtl = degradedTtl == null ? Duration.ofSeconds(5) : degradedTtl;
        answers = answers == null ? 1 : answers;
        zones = zones == null ? List.of() : List.copyOf(zones);
        names = names == null ? DEFAULT_NAMES : List.copyOf(names);
        nameservers = nameservers == null ? List.of() : List.copyOf(nameservers);
        soa = soa == null ? Soa.DEFAULT : soa;
        fallback = fallback == null ? Fallback.NONE : fallback;
        overrides = overrides == null ? List.of() : List.copyOf(overrides);
        regionWeights = regionWeights == null ? Map.of() : Map.copyOf(regionWeights);
        nearKm = nearKm == null ? 500.0 : nearKm;
        fallbackAnswers = fallbackAnswers == null ? 2 : fallbackAnswers;
        staticFallback = staticFallback == null ? List.of() : List.copyOf(staticFallback);
        rateLimit = rateLimit == null ? DnsRateLimit.DEFAULT : rateLimit;
        maxUdpPayload = maxUdpPayload == null ? 1232 : maxUdpPayload;
        geoipCheckInterval = geoipCheckInterval == null ? Duration.ofSeconds(10) : geoipCheckInterval;
        tcpMaxConnections = tcpMaxConnections == null ? 256 : tcpMaxConnections;
        tcpIdleTimeout = tcpIdleTimeout == null ? Duration.ofSeconds(10) : tcpIdleTimeout;
        udpThreads = udpThreads == null ? 2 : udpThreads;
        tcpMaxConnectionsPerClient = tcpMaxConnectionsPerClient == null ? 16 : tcpMaxConnectionsPerClient;
        tcpQueryTimeout = tcpQueryTimeout == null ? Duration.ofSeconds(5) : tcpQueryTimeout;
    }

    /**
     * A name answered with edges.
     *
     * @param name relative to the main zone ({@code img}), {@code @} for the apex, or absolute
     *     ({@code img.cdn.example.test}, ending with one of the zones)
     * @param pool the pool whose edges answer (matches {@code EdgeCandidate.pools}); absent means
     *     every edge
     * @param answers edges per answer for this name (default: {@code dns.answers})
     * @param ttl TTL for this name (default: {@code dns.ttl})
     */
    public record Name(String name, String pool, Integer answers, Duration ttl) {
    }

    /**
     * A nameserver of the zones.
     *
     * @param name host name: one label ({@code ns1}) is under the main zone, a dotted name is taken
     *     as it is ({@code ns1.example.net})
     * @param addresses its IPv4/IPv6 addresses, answered as A/AAAA when the name is in a zone
     */
    public record Nameserver(String name, List<String> addresses) {
        public Nameserver {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }
    }

    /**
     * Start of authority. Negative answers (NXDOMAIN, NODATA) are cached for min(ttl, minimum).
     *
     * @param rname the responsible mailbox as a name (default {@code hostmaster.<zone>})
     * @param ttl TTL of the SOA record itself (default 1h)
     * @param refresh secondary refresh (default 1h)
     * @param retry secondary retry (default 10m)
     * @param expire secondary expiry (default 7d)
     * @param minimum negative-caching TTL (default 30s)
     */
    public record Soa(String rname, Duration ttl, Duration refresh, Duration retry, Duration expire,
                      Duration minimum) {
        public static final Soa DEFAULT = new Soa(null, null, null, null, null, null);

        public Soa {
            ttl = ttl == null ? Duration.ofHours(1) : ttl;
            refresh = refresh == null ? Duration.ofHours(1) : refresh;
            retry = retry == null ? Duration.ofMinutes(10) : retry;
            expire = expire == null ? Duration.ofDays(7) : expire;
            minimum = minimum == null ? Duration.ofSeconds(30) : minimum;
        }
    }

    /**
     * What a client whose address has no location gets: the edges of one region, or the edges
     * nearest one point. Neither set: every edge shares such clients by weight. Never 0,0.
     */
    public record Fallback(String region, Coordinates coordinates) {
        public static final Fallback NONE = new Fallback(null, null);
    }

    /**
     * Steering that wins over distance for clients matching one of {@code network},
     * {@code country} (ISO code) or {@code continent} (code such as EU); the most specific
     * match wins (network, then country, then continent). Clients go to the edges of
     * {@code region}, or are steered as if they stood at {@code coordinates}; when that region
     * has too few healthy edges, the nearest others fill the answer.
     */
    public record Override(String network, String country, String continent, String region,
                           Coordinates coordinates) {
    }

    /**
     * Response rate limiting per source network (IPv4 /{@code ipv4-prefix}, IPv6
     * /{@code ipv6-prefix}) over UDP; TCP is exempt since its source is proven. Past the rate,
     * every {@code slip}-th response is sent truncated (so a real client retries over TCP) and
     * the rest are dropped.
     *
     * @param responsesPerSecond sustained rate; 0 turns rate limiting off (default 100)
     * @param burst responses at once (default 2 × rate)
     * @param slip every slip-th limited response goes out truncated; 0 drops all (default 2)
     * @param exempt networks never limited (e.g. your own resolvers)
     */
    public record DnsRateLimit(Double responsesPerSecond, Integer burst, Integer slip, Integer ipv4Prefix,
                               Integer ipv6Prefix, List<String> exempt) {
        public static final DnsRateLimit DEFAULT = new DnsRateLimit(null, null, null, null, null, null);

        public DnsRateLimit {
            responsesPerSecond = responsesPerSecond == null ? 100.0 : responsesPerSecond;
            burst = burst == null ? (int) Math.max(1, Math.ceil(responsesPerSecond * 2)) : burst;
            slip = slip == null ? 2 : slip;
            ipv4Prefix = ipv4Prefix == null ? 24 : ipv4Prefix;
            ipv6Prefix = ipv6Prefix == null ? 56 : ipv6Prefix;
            exempt = exempt == null ? List.of() : List.copyOf(exempt);
        }
    }

    /**
     * Problems of these settings, each with its key path under {@code prefix} (e.g. {@code dns.}).
     * {@code zone} is the control plane's main zone (may be null when not set yet).
     */
    public List<ConfigProblem> problems(String prefix, String zone) {
        List<ConfigProblem> out = new ArrayList<>();
        String p = prefix == null ? "" : prefix;
        positive(ttl, p + "ttl", out);
        positive(degradedTtl, p + "degraded-ttl", out);
        if (ttl.toSeconds() > 604_800) {
            out.add(new ConfigProblem(p + "ttl", "must be at most 7d"));
        }
        if (degradedTtl.compareTo(ttl) > 0) {
            out.add(new ConfigProblem(p + "degraded-ttl", "must not be longer than ttl (" + Durations.format(ttl) + ")"));
        }
        if (answers < 1 || answers > 64) {
            out.add(new ConfigProblem(p + "answers", "must be between 1 and 64"));
        }
        List<String> allZones = new ArrayList<>();
        if (zone != null && !zone.isBlank()) {
            if (!isDomain(zone)) {
                out.add(new ConfigProblem("zone", "not a domain name: '" + zone + "'"));
            } else {
                allZones.add(normalize(zone));
            }
        }
        Set<String> seenZones = new HashSet<>(allZones);
        for (int i = 0; i < zones.size(); i++) {
            String z = zones.get(i);
            if (z == null || !isDomain(z)) {
                out.add(new ConfigProblem(p + "zones[" + i + "]", "not a domain name: '" + z + "'"));
            } else if (!seenZones.add(normalize(z))) {
                out.add(new ConfigProblem(p + "zones[" + i + "]", "zone listed twice: '" + z + "'"));
            } else {
                allZones.add(normalize(z));
            }
        }
        if (allZones.isEmpty() && (!zones.isEmpty() || !names.equals(DEFAULT_NAMES))) {
            out.add(new ConfigProblem("zone", "missing: names and zones need the main zone (--zone NAME)"));
        }
        Set<String> seenNames = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            Name n = names.get(i);
            String np = p + "names[" + i + "]";
            if (n == null || n.name() == null || n.name().isBlank()) {
                out.add(new ConfigProblem(np + ".name", "missing: the name to answer, e.g. img"));
                continue;
            }
            String full = allZones.isEmpty() ? null : absolute(n.name(), allZones);
            if (!n.name().equals("@") && !isDomain(n.name())) {
                out.add(new ConfigProblem(np + ".name", "not a domain name: '" + n.name() + "'"));
            } else if (full != null && !seenNames.add(full)) {
                out.add(new ConfigProblem(np + ".name", "name listed twice: '" + full + "'"));
            }
            if (n.answers() != null && (n.answers() < 1 || n.answers() > 64)) {
                out.add(new ConfigProblem(np + ".answers", "must be between 1 and 64"));
            }
            if (n.ttl() != null) {
                positive(n.ttl(), np + ".ttl", out);
            }
            if (n.pool() != null && n.pool().isBlank()) {
                out.add(new ConfigProblem(np + ".pool", "must not be blank (leave it out for every edge)"));
            }
        }
        for (int i = 0; i < nameservers.size(); i++) {
            Nameserver ns = nameservers.get(i);
            String np = p + "nameservers[" + i + "]";
            if (ns == null || ns.name() == null || !isDomain(ns.name())) {
                out.add(new ConfigProblem(np + ".name", "not a host name: '" + (ns == null ? null : ns.name()) + "'"));
                continue;
            }
            for (int j = 0; j < ns.addresses().size(); j++) {
                if (!isAddress(ns.addresses().get(j))) {
                    out.add(new ConfigProblem(np + ".addresses[" + j + "]", "not an IP address: '" + ns.addresses().get(j) + "'"));
                }
            }
        }
        if (soa.rname() != null && !isDomain(soa.rname())) {
            out.add(new ConfigProblem(p + "soa.rname", "not a mailbox name such as hostmaster.example.test: '" + soa.rname() + "'"));
        }
        positive(soa.ttl(), p + "soa.ttl", out);
        positive(soa.refresh(), p + "soa.refresh", out);
        positive(soa.retry(), p + "soa.retry", out);
        positive(soa.expire(), p + "soa.expire", out);
        positive(soa.minimum(), p + "soa.minimum", out);
        if (fallback.region() != null && fallback.coordinates() != null) {
            out.add(new ConfigProblem(p + "fallback", "give region or coordinates, not both"));
        }
        if (fallback.region() != null && fallback.region().isBlank()) {
            out.add(new ConfigProblem(p + "fallback.region", "must not be blank"));
        }
        if (fallback.coordinates() != null && fallback.coordinates().latitude() == 0
                && fallback.coordinates().longitude() == 0) {
            out.add(new ConfigProblem(p + "fallback.coordinates", "0,0 is in the Gulf of Guinea: give a real point or a region"));
        }
        for (int i = 0; i < overrides.size(); i++) {
            Override o = overrides.get(i);
            String op = p + "overrides[" + i + "]";
            if (o == null) {
                out.add(new ConfigProblem(op, "empty override"));
                continue;
            }
            int matchers = (o.network() == null ? 0 : 1) + (o.country() == null ? 0 : 1) + (o.continent() == null ? 0 : 1);
            if (matchers != 1) {
                out.add(new ConfigProblem(op, "give exactly one of network, country, continent"));
            }
            if ((o.region() == null) == (o.coordinates() == null)) {
                out.add(new ConfigProblem(op, "give exactly one of region, coordinates (where these clients go)"));
            }
            if (o.network() != null && !Cidr.isValid(o.network())) {
                out.add(new ConfigProblem(op + ".network", "not an IP network: '" + o.network() + "'"));
            }
            if (o.country() != null && !ISO.matcher(o.country()).matches()) {
                out.add(new ConfigProblem(op + ".country", "not an ISO 3166 country code such as DE: '" + o.country() + "'"));
            }
            if (o.continent() != null && !Set.of("AF", "AN", "AS", "EU", "NA", "OC", "SA").contains(o.continent())) {
                out.add(new ConfigProblem(op + ".continent", "not a continent code (AF, AN, AS, EU, NA, OC, SA): '" + o.continent() + "'"));
            }
        }
        regionWeights.forEach((region, w) -> {
            if (w == null || !(w >= 0) || w.isInfinite()) {
                out.add(new ConfigProblem(p + "region-weights." + region, "must be a number 0 or more"));
            }
        });
        if (!(nearKm >= 0)) {
            out.add(new ConfigProblem(p + "near-km", "must be 0 or more"));
        }
        if (fallbackAnswers < 1 || fallbackAnswers > 64) {
            out.add(new ConfigProblem(p + "fallback-answers", "must be between 1 and 64"));
        }
        for (int i = 0; i < staticFallback.size(); i++) {
            if (!isAddress(staticFallback.get(i))) {
                out.add(new ConfigProblem(p + "static-fallback[" + i + "]", "not an IP address: '" + staticFallback.get(i) + "'"));
            }
        }
        if (staticFallback.size() > 16) {
            out.add(new ConfigProblem(p + "static-fallback", "at most 16 addresses"));
        }
        DnsRateLimit r = rateLimit;
        if (!(r.responsesPerSecond() >= 0) || r.responsesPerSecond().isInfinite()) {
            out.add(new ConfigProblem(p + "rate-limit.responses-per-second", "must be 0 (off) or more"));
        }
        if (r.burst() < 1) {
            out.add(new ConfigProblem(p + "rate-limit.burst", "must be at least 1"));
        }
        if (r.slip() < 0 || r.slip() > 10) {
            out.add(new ConfigProblem(p + "rate-limit.slip", "must be between 0 (drop all) and 10"));
        }
        if (r.ipv4Prefix() < 8 || r.ipv4Prefix() > 32) {
            out.add(new ConfigProblem(p + "rate-limit.ipv4-prefix", "must be between 8 and 32"));
        }
        if (r.ipv6Prefix() < 16 || r.ipv6Prefix() > 64) {
            out.add(new ConfigProblem(p + "rate-limit.ipv6-prefix", "must be between 16 and 64"));
        }
        for (int i = 0; i < r.exempt().size(); i++) {
            if (!Cidr.isValid(r.exempt().get(i))) {
                out.add(new ConfigProblem(p + "rate-limit.exempt[" + i + "]", "not an IP network: '" + r.exempt().get(i) + "'"));
            }
        }
        if (maxUdpPayload < 512 || maxUdpPayload > 4096) {
            out.add(new ConfigProblem(p + "max-udp-payload", "must be between 512 and 4096 (1232 avoids fragmentation)"));
        }
        positive(geoipCheckInterval, p + "geoip-check-interval", out);
        if (tcpMaxConnections < 1) {
            out.add(new ConfigProblem(p + "tcp-max-connections", "must be at least 1"));
        }
        positive(tcpIdleTimeout, p + "tcp-idle-timeout", out);
        if (tcpMaxConnectionsPerClient < 1) {
            out.add(new ConfigProblem(p + "tcp-max-connections-per-client", "must be at least 1"));
        }
        positive(tcpQueryTimeout, p + "tcp-query-timeout", out);
        if (udpThreads < 1 || udpThreads > 64) {
            out.add(new ConfigProblem(p + "udp-threads", "must be between 1 and 64"));
        }
        return out;
    }

    /** Problems of these settings with no main zone known; see {@link #problems(String, String)}. */
    public List<ConfigProblem> problems(String prefix) {
        return problems(prefix, null);
    }

    /** Lower case, no trailing dot. */
    public static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    /**
     * The absolute form of a configured name: {@code @} is the main zone, a name equal to or
     * under one of {@code zones} stays as it is, anything else is relative to the main zone
     * ({@code zones.get(0)}).
     */
    public static String absolute(String name, List<String> zones) {
        String n = normalize(name);
        if (n.equals("@")) {
            return zones.get(0);
        }
        for (String z : zones) {
            if (n.equals(z) || n.endsWith("." + z)) {
                return n;
            }
        }
        return n + "." + zones.get(0);
    }

    private static boolean isDomain(String name) {
        String n = normalize(name);
        if (n.isEmpty() || n.length() > 253) {
            return false;
        }
        for (String label : n.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAddress(String text) {
        return text != null && !text.contains("/") && Cidr.isValid(text);
    }

    private static void positive(Duration d, String path, List<ConfigProblem> out) {
        if (d.isNegative() || d.isZero()) {
            out.add(new ConfigProblem(path, "must be more than 0"));
        }
    }
}
