package dev.outpost.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The checks a config must pass before anything runs with it. Each problem carries the key
 * path it is about, so readers can point at file and line. Checks that need the machine (a
 * port in use) happen where the resource is taken, and are reported through the same
 * {@link SourceMap}.
 */
public final class ConfigValidator {

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

    private ConfigValidator() {
    }

    /** Problems of a delivery config alone (as pushed to the control plane). */
    public static List<ConfigProblem> validate(DeliveryConfig d) {
        List<ConfigProblem> out = new ArrayList<>();
        delivery(d, "", out, true);
        return out;
    }

    /** Problems of a whole node config. */
    public static List<ConfigProblem> validate(NodeConfig n) {
        List<ConfigProblem> out = new ArrayList<>();
        if (n.origin() != null) {
            url(n.origin(), "origin", out);
        }
        for (int i = 0; i < n.shield().size(); i++) {
            url(n.shield().get(i), "shield[" + i + "]", out);
            if (n.shield().indexOf(n.shield().get(i)) < i) {
                out.add(new ConfigProblem("shield[" + i + "]", "shield '" + n.shield().get(i) + "' is listed twice"));
            }
        }
        if (n.controlPlane() != null) {
            if (n.controlPlanes().isEmpty()) {
                out.add(new ConfigProblem("control-plane", "no URL given"));
            }
            n.controlPlanes().forEach(u -> url(u, "control-plane", out));
        }
        adminToken(n, out);
        if (n.controlPlane() == null && n.origin() == null && n.origins() == null) {
            out.add(new ConfigProblem("origin", "no origin: give --origin URL, an origins list, or --control-plane URL"));
        }
        for (int i = 0; i < n.trustedProxies().size(); i++) {
            String cidr = n.trustedProxies().get(i);
            if (!Cidr.isValid(cidr)) {
                out.add(new ConfigProblem("trusted-proxies[" + i + "]", "not an address or CIDR network: '" + cidr + "'"));
            }
        }
        if (n.tls() != null) {
            TlsSettings t = n.tls();
            if (t.listen() == null) {
                out.add(new ConfigProblem("tls.listen", "missing: the address of the TLS listener"));
            }
            readable(t.certificate(), "tls.certificate", out, true);
            readable(t.privateKey(), "tls.private-key", out, true);
            readable(t.clientCa(), "tls.client-ca", out, false);
        }
        CacheSettings c = n.cache();
        if (c.chunkSize().bytes() < 4096 || c.chunkSize().bytes() > 16L * 1024 * 1024) {
            out.add(new ConfigProblem("cache.chunk-size", "must be between 4KiB and 16MiB, is " + c.chunkSize()));
        }
        if (c.memoryMaxObject().compareTo(c.memorySize()) > 0) {
            out.add(new ConfigProblem("cache.memory-max-object", "larger than cache.memory-size (" + c.memorySize() + ")"));
        }
        if (c.heuristicFraction() < 0 || c.heuristicFraction() > 1) {
            out.add(new ConfigProblem("cache.heuristic-fraction", "must be between 0 and 1"));
        }
        if (c.maxVariants() < 1) {
            out.add(new ConfigProblem("cache.max-variants", "must be at least 1"));
        }
        if (c.hitForPassMemory().bytes() < 64 * 1024) {
            out.add(new ConfigProblem("cache.hit-for-pass-memory", "must be at least 64KiB, is " + c.hitForPassMemory()));
        }
        if (c.promotionMemory().bytes() < 0) {
            out.add(new ConfigProblem("cache.promotion-memory", "must be at least 0 (0: no promotion of disk hits)"));
        }
        HttpLimits l = n.limits();
        if (l.rateLimitMemory().bytes() < 64 * 1024) {
            out.add(new ConfigProblem("limits.rate-limit-memory", "must be at least 64KiB, is " + l.rateLimitMemory()));
        }
        if (l.originBytesMemory().bytes() < 64 * 1024) {
            out.add(new ConfigProblem("limits.origin-bytes-memory", "must be at least 64KiB, is " + l.originBytesMemory()));
        }
        positive(l.originBytesWindow(), "limits.origin-bytes-window", out);
        if (l.http2MaxConcurrentStreams() < 1) {
            out.add(new ConfigProblem("limits.http2-max-concurrent-streams", "must be at least 1"));
        }
        if (!(l.http2ResetsPerSecond() > 0)) {
            out.add(new ConfigProblem("limits.http2-resets-per-second", "must be more than 0"));
        }
        if (l.maxHeaders() < 1) {
            out.add(new ConfigProblem("limits.max-headers", "must be at least 1"));
        }
        if (l.maxConnectionsPerClient() < 1) {
            out.add(new ConfigProblem("limits.max-connections-per-client", "must be at least 1"));
        }
        positive(l.tunnelIdleTimeout(), "limits.tunnel-idle-timeout", out);
        positive(l.writeTimeout(), "limits.write-timeout", out);
        if (l.slowReaderMemory().bytes() < 0) {
            out.add(new ConfigProblem("limits.slow-reader-memory", "must be at least 0"));
        }
        if (l.maxTunnelsPerClient() < 0) {
            out.add(new ConfigProblem("limits.max-tunnels-per-client", "must be at least 0 (0: no tunnels)"));
        }
        if (l.maxTunnels() < 0) {
            out.add(new ConfigProblem("limits.max-tunnels", "must be at least 0 (0: no tunnels)"));
        }
        if (l.maxConcurrentCompressions() < 0) {
            out.add(new ConfigProblem("limits.max-concurrent-compressions", "must be at least 0 (0: no compression)"));
        }
        positive(n.heartbeatInterval(), "heartbeat-interval", out);
        positive(n.originIdleTimeout(), "origin-idle-timeout", out);
        out.addAll(n.adminLimits().problems("admin-limits."));
        delivery(n.delivery(), "", out, n.controlPlane() == null || n.origins() != null || n.origin() != null);
        return out;
    }

    /**
     * {@code POST /purge} on the admin listener drops cached content: where others can reach the
     * listener (any address but loopback), it must ask for a token.
     */
    private static void adminToken(NodeConfig n, List<ConfigProblem> out) {
        if (n.adminToken() != null && n.adminToken().isBlank()) {
            out.add(new ConfigProblem("admin-token", "empty: give a token (e.g. openssl rand -hex 16) or leave admin-token out"));
        } else if (n.adminToken() == null && !isLoopback(n.admin().host())) {
            out.add(new ConfigProblem("admin", "the admin listener " + n.admin() + " is reachable from other hosts and"
                    + " POST /purge would need no token: set --admin-token TOKEN (admin-token: in the config),"
                    + " or listen on 127.0.0.1"));
        }
    }

    /** A literal loopback address or {@code localhost}; names are not resolved here. */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")) {
            return true;
        }
        String[] parts = h.split("\\.", -1);
        if (parts.length != 4 || !parts[0].equals("127")) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit) || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    private static void delivery(DeliveryConfig d, String prefix, List<ConfigProblem> out, boolean needsOrigin) {
        for (int i = 0; i < d.hosts().size(); i++) {
            if (!HOST.matcher(d.hosts().get(i)).matches()) {
                out.add(new ConfigProblem(prefix + "hosts[" + i + "]", "not a host name: '" + d.hosts().get(i) + "'"));
            }
        }
        if (d.unknownHostStatus() != 421 && d.unknownHostStatus() != 404) {
            out.add(new ConfigProblem(prefix + "unknown-host-status", "must be 421 or 404"));
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < d.origins().size(); i++) {
            OriginConfig o = d.origins().get(i);
            String p = prefix + "origins[" + i + "]";
            if (o.name() == null || o.name().isBlank()) {
                out.add(new ConfigProblem(p + ".name", "missing: every origin needs a name"));
            } else if (!names.add(o.name())) {
                out.add(new ConfigProblem(p + ".name", "duplicate origin name '" + o.name() + "'"));
            }
            origin(o, p, out);
        }
        if (needsOrigin && d.origins().isEmpty()) {
            out.add(new ConfigProblem(prefix + "origins", "no origin: give --origin URL or an origins list"));
        }
        rule(d.defaultRule(), prefix + "default-rule", names, out, needsOrigin || !d.origins().isEmpty());
        for (int i = 0; i < d.rules().size(); i++) {
            rule(d.rules().get(i), prefix + "rules[" + i + "]", names, out, true);
        }
    }

    private static void origin(OriginConfig o, String p, List<ConfigProblem> out) {
        if (o.servers().isEmpty()) {
            out.add(new ConfigProblem(p + ".servers", "an origin needs at least one server"));
        }
        Set<String> serverUrls = new HashSet<>();
        for (int j = 0; j < o.servers().size(); j++) {
            OriginConfig.Server s = o.servers().get(j);
            String sp = p + ".servers[" + j + "]";
            if (s.url() == null) {
                out.add(new ConfigProblem(sp + ".url", "missing"));
            } else {
                url(s.url(), sp + ".url", out);
                String id = serverId(s.url());
                if (id != null && !serverUrls.add(id)) {
                    out.add(new ConfigProblem(sp + ".url", "server '" + s.url() + "' is listed twice in this origin"));
                }
            }
            if (s.weight() < 1) {
                out.add(new ConfigProblem(sp + ".weight", "must be at least 1"));
            }
            if (s.maxConnections() < 0) {
                out.add(new ConfigProblem(sp + ".max-connections", "must not be negative"));
            }
        }
        positive(o.connectTimeout(), p + ".connect-timeout", out);
        positive(o.readTimeout(), p + ".read-timeout", out);
        if (o.hostHeader() != null && (o.hostHeader().isBlank()
                || o.hostHeader().chars().anyMatch(ch -> ch <= 0x20 || ch == 0x7f || ch == ',' || ch == '/'))) {
            out.add(new ConfigProblem(p + ".host-header", "not a host (with optional :port): '" + o.hostHeader() + "'"));
        }
        if (o.sni() != null && (o.sni().startsWith("*") || !HOST.matcher(o.sni()).matches())) {
            out.add(new ConfigProblem(p + ".sni", "not a host name: '" + o.sni() + "'"));
        }
        if (o.healthCheck() != null) {
            OriginConfig.HealthCheck h = o.healthCheck();
            if (!h.path().startsWith("/")) {
                out.add(new ConfigProblem(p + ".health-check.path", "must start with /"));
            }
            if (h.expectedStatus() < 100 || h.expectedStatus() > 599) {
                out.add(new ConfigProblem(p + ".health-check.expected-status", "not an HTTP status"));
            }
            positive(h.interval(), p + ".health-check.interval", out);
            positive(h.timeout(), p + ".health-check.timeout", out);
            if (h.fall() < 1) {
                out.add(new ConfigProblem(p + ".health-check.fall", "must be at least 1"));
            }
            if (h.rise() < 1) {
                out.add(new ConfigProblem(p + ".health-check.rise", "must be at least 1"));
            }
        }
        OriginConfig.Ejection e = o.ejection();
        if (e.consecutiveFailures() < 1) {
            out.add(new ConfigProblem(p + ".ejection.consecutive-failures", "must be at least 1"));
        }
        if (e.errorRate() <= 0 || e.errorRate() > 1) {
            out.add(new ConfigProblem(p + ".ejection.error-rate", "must be above 0 and at most 1"));
        }
        if (e.minRequests() < 1) {
            out.add(new ConfigProblem(p + ".ejection.min-requests", "must be at least 1"));
        }
        positive(e.baseTime(), p + ".ejection.base-time", out);
        if (e.maxTime().compareTo(e.baseTime()) < 0) {
            out.add(new ConfigProblem(p + ".ejection.max-time", "shorter than ejection.base-time"));
        }
        if (o.retry().attempts() < 0) {
            out.add(new ConfigProblem(p + ".retry.attempts", "must not be negative"));
        }
        if (o.retry().budget() < 0 || o.retry().budget() > 1) {
            out.add(new ConfigProblem(p + ".retry.budget", "must be between 0 and 1"));
        }
    }

    private static void rule(Rule r, String p, Set<String> origins, List<ConfigProblem> out, boolean checkOrigin) {
        RuleMatch m = r.match();
        int pathKinds = (m.pathPrefix() != null ? 1 : 0) + (m.pathGlob() != null ? 1 : 0) + (m.pathRegex() != null ? 1 : 0);
        if (pathKinds > 1) {
            out.add(new ConfigProblem(p + ".match", "give only one of path-prefix, path-glob and path-regex"));
        }
        if (m.pathPrefix() != null && !m.pathPrefix().startsWith("/")) {
            out.add(new ConfigProblem(p + ".match.path-prefix", "must start with /"));
        }
        if (m.pathGlob() != null && !m.pathGlob().startsWith("/") && !m.pathGlob().startsWith("*")) {
            out.add(new ConfigProblem(p + ".match.path-glob", "must start with / or *"));
        }
        if (m.pathRegex() != null) {
            try {
                Pattern.compile(m.pathRegex());
            } catch (PatternSyntaxException e) {
                out.add(new ConfigProblem(p + ".match.path-regex", "invalid regular expression: "
                        + e.getDescription() + " near index " + e.getIndex()));
            }
        }
        if (m.host() != null && !HOST.matcher(m.host()).matches()) {
            out.add(new ConfigProblem(p + ".match.host", "not a host name or *.domain: '" + m.host() + "'"));
        }
        for (int i = 0; i < m.methods().size(); i++) {
            if (!TOKEN.matcher(m.methods().get(i)).matches()) {
                out.add(new ConfigProblem(p + ".match.methods[" + i + "]", "not a method name"));
            }
        }
        if (checkOrigin && r.origin() != null && !origins.contains(r.origin())) {
            out.add(new ConfigProblem(p + ".origin", "unknown origin '" + r.origin() + "'"
                    + (origins.isEmpty() ? "" : " (origins: " + String.join(", ", origins.stream().sorted().toList()) + ")")));
        }
        CacheKeyPolicy k = r.cacheKey();
        if (k != null && (k.query() == CacheKeyPolicy.QueryMode.ALLOW || k.query() == CacheKeyPolicy.QueryMode.DENY)
                && k.queryParams().isEmpty()) {
            out.add(new ConfigProblem(p + ".cache-key.query-params", "needed when query is allow or deny"));
        }
        if (k != null) {
            for (int i = 0; i < k.headers().size(); i++) {
                if (!TOKEN.matcher(k.headers().get(i)).matches()) {
                    out.add(new ConfigProblem(p + ".cache-key.headers[" + i + "]", "not a header name"));
                }
            }
        }
        if (r.sliceSize() != null && r.sliceSize().bytes() != 0 && r.sliceSize().bytes() < 16 * 1024) {
            out.add(new ConfigProblem(p + ".slice-size", "must be 0 (off) or at least 16KiB, is " + r.sliceSize()));
        }
        if (r.upgrades() != null) {
            for (int i = 0; i < r.upgrades().size(); i++) {
                String u = r.upgrades().get(i);
                if (u == null || !TOKEN.matcher(u.split("/", 2)[0]).matches()
                        || u.contains("/") && !TOKEN.matcher(u.split("/", 2)[1]).matches()) {
                    out.add(new ConfigProblem(p + ".upgrades[" + i + "]", "not a protocol token (name or name/version)"));
                } else if (u.equalsIgnoreCase("h2c")) {
                    out.add(new ConfigProblem(p + ".upgrades[" + i + "]", "h2c is the node's own upgrade to HTTP/2 (see http2)"));
                }
            }
        }
        if (r.tunnelIdleTimeout() != null && (r.tunnelIdleTimeout().isNegative() || r.tunnelIdleTimeout().isZero())) {
            out.add(new ConfigProblem(p + ".tunnel-idle-timeout", "must be more than 0"));
        }
        if (r.rateLimit() != null) {
            RateLimit rl = r.rateLimit();
            if (rl.requestsPerSecond() <= 0) {
                out.add(new ConfigProblem(p + ".rate-limit.requests-per-second", "must be above 0"));
            }
            if (rl.burst() < 1) {
                out.add(new ConfigProblem(p + ".rate-limit.burst", "must be at least 1"));
            }
            if (!rl.key().equals("client-ip") && !(rl.key().startsWith("header:") && rl.key().length() > 7)) {
                out.add(new ConfigProblem(p + ".rate-limit.key", "must be client-ip or header:NAME"));
            }
        }
        if (r.compress() != null) {
            compress(r.compress(), p + ".compress", out);
        }
        if (r.browserCacheControl() != null && r.browserCacheControl().chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            out.add(new ConfigProblem(p + ".browser-cache-control", "control characters are not allowed"));
        }
    }

    private static final Pattern MEDIA_RANGE = Pattern.compile("[a-z0-9!#$&^_.+-]+/(\\*|[a-z0-9!#$&^_.+-]+)");

    private static void compress(Compress c, String p, List<ConfigProblem> out) {
        if (c.encodings().isEmpty()) {
            out.add(new ConfigProblem(p + ".encodings", "needs at least one of " + String.join(", ", Compress.KNOWN_ENCODINGS)));
        }
        for (int i = 0; i < c.encodings().size(); i++) {
            String e = c.encodings().get(i);
            if (!Compress.KNOWN_ENCODINGS.contains(e)) {
                out.add(new ConfigProblem(p + ".encodings[" + i + "]", "unknown encoding '" + e + "' (use "
                        + String.join(", ", Compress.KNOWN_ENCODINGS) + ")"));
            } else if (c.encodings().indexOf(e) != i) {
                out.add(new ConfigProblem(p + ".encodings[" + i + "]", "'" + e + "' is listed twice"));
            }
        }
        if (c.types().isEmpty()) {
            out.add(new ConfigProblem(p + ".types", "needs at least one media type (type/subtype or type/*)"));
        }
        for (int i = 0; i < c.types().size(); i++) {
            if (!MEDIA_RANGE.matcher(c.types().get(i)).matches()) {
                out.add(new ConfigProblem(p + ".types[" + i + "]", "not a media type (type/subtype or type/*): '"
                        + c.types().get(i) + "'"));
            }
        }
        for (var e : c.level().entrySet()) {
            String enc = e.getKey();
            String key = enc.equals("*") ? p + ".level" : p + ".level." + enc;
            if (!enc.equals("*") && !Compress.KNOWN_ENCODINGS.contains(enc)) {
                out.add(new ConfigProblem(key, "unknown encoding '" + enc + "' (use "
                        + String.join(", ", Compress.KNOWN_ENCODINGS) + ")"));
                continue;
            }
            for (String each : enc.equals("*") ? c.encodings() : List.of(enc)) {
                int[] range = Compress.levelRange(each);
                if (range[1] > 0 && (e.getValue() < range[0] || e.getValue() > range[1])) {
                    out.add(new ConfigProblem(key, each + " levels are " + range[0] + " to " + range[1] + ", is " + e.getValue()));
                }
            }
        }
    }

    private static void positive(Duration d, String path, List<ConfigProblem> out) {
        if (d != null && (d.isNegative() || d.isZero())) {
            out.add(new ConfigProblem(path, "must be longer than 0"));
        }
    }

    private static void url(String text, String path, List<ConfigProblem> out) {
        try {
            URI u = new URI(text);
            if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme())) {
                out.add(new ConfigProblem(path, "not an http or https URL: '" + text + "'"));
            } else if (u.getHost() == null) {
                out.add(new ConfigProblem(path, "URL without a host: '" + text + "'"));
            }
        } catch (java.net.URISyntaxException e) {
            out.add(new ConfigProblem(path, "not a URL: '" + text + "' (" + e.getReason() + ")"));
        }
    }

    /** scheme://host:port of a server URL, lower case with the default port filled in; null when not a URL. */
    private static String serverId(String text) {
        try {
            URI u = new URI(text);
            if (u.getScheme() == null || u.getHost() == null) {
                return null;
            }
            String scheme = u.getScheme().toLowerCase(java.util.Locale.ROOT);
            int port = u.getPort() >= 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
            return scheme + "://" + u.getHost().toLowerCase(java.util.Locale.ROOT) + ":" + port;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static void readable(String file, String path, List<ConfigProblem> out, boolean required) {
        if (file == null) {
            if (required) {
                out.add(new ConfigProblem(path, "missing"));
            }
        } else if (!Files.isReadable(Path.of(file))) {
            out.add(new ConfigProblem(path, "cannot read file '" + file + "'"));
        }
    }
}
