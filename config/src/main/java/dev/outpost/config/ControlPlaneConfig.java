package dev.outpost.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the control plane runs with. Every key is also a flag of the same name
 * ({@code --dns-listen}); flags win over the file.
 *
 * <p>Tokens: {@code token} has every scope (read, write and node); {@code write-token} reads
 * and writes (operators, CI); {@code read-token} only reads (dashboards); {@code node-token}
 * only registers, heartbeats, subscribes and acks (what edge nodes are given). At least one
 * must be set: the control plane never runs open.
 *
 * @param listen address of the HTTP API ({@code /v1/...}); HTTPS when {@code tls} is set
 * @param dnsListen address of the authoritative DNS server (UDP and TCP)
 * @param zone the CDN's zone, e.g. {@code cdn.example.test}
 * @param geoip MaxMind-format ({@code .mmdb}) database for client locations
 * @param dataDir where the embedded store keeps registry, config versions and purge log
 * @param token one bearer token with read, write and node scope
 * @param readToken bearer token with read scope only
 * @param writeToken bearer token with read and write scope
 * @param dns the DNS server's answering policy
 * @param nodeToken bearer token with node scope only (register, heartbeat, subscribe, ack)
 * @param heartbeatTimeout a node whose last heartbeat is older than this is unhealthy
 * @param purgeRateLimit purge requests accepted per client address (token bucket)
 * @param maxRequestBody larger request bodies are refused with 413
 * @param tls serve the API over TLS from PEM files; with {@code client-ca}, nodes and
 *     operators must present a certificate it signed (mutual TLS). {@code tls.listen} is unused:
 *     {@code listen} itself serves TLS
 * @param streamKeepalive the longest a node subscription stays silent; nodes treat three
 *     times this without a byte as a dead connection
 * @param shutdownGrace how long SIGTERM waits for requests in flight
 */
public record ControlPlaneConfig(
        HostPort listen,
        HostPort dnsListen,
        String zone,
        String geoip,
        String dataDir,
        String token,
        String readToken,
        String writeToken,
        DnsSettings dns,
        String nodeToken,
        Duration heartbeatTimeout,
        RateLimit purgeRateLimit,
        DataSize maxRequestBody,
        TlsSettings tls,
        Duration streamKeepalive,
        Duration shutdownGrace) {

    public ControlPlaneConfig {
        listen = listen == null ? HostPort.parse("0.0.0.0:7000") : listen;
        dnsListen = dnsListen == null ? HostPort.parse("0.0.0.0:53") : dnsListen;
        dataDir = dataDir == null ? "./control-plane-data" : dataDir;
        dns = dns == null ? DnsSettings.DEFAULT : dns;
        heartbeatTimeout = heartbeatTimeout == null ? Duration.ofSeconds(15) : heartbeatTimeout;
        purgeRateLimit = purgeRateLimit == null ? new RateLimit(20.0, 100, null) : purgeRateLimit;
        maxRequestBody = maxRequestBody == null ? DataSize.ofMebibytes(1) : maxRequestBody;
        streamKeepalive = streamKeepalive == null ? Duration.ofSeconds(5) : streamKeepalive;
        shutdownGrace = shutdownGrace == null ? Duration.ofSeconds(10) : shutdownGrace;
    }

    /** The config of the first nine keys (the original contract), every other key at its default. */
    public ControlPlaneConfig(HostPort listen, HostPort dnsListen, String zone, String geoip, String dataDir,
                              String token, String readToken, String writeToken, DnsSettings dns) {
        this(listen, dnsListen, zone, geoip, dataDir, token, readToken, writeToken, dns,
                null, null, null, null, null, null, null);
    }

    /** A reader of control-plane config files, with flags laid over them and {@link #problems()} checked. */
    public static ConfigReader<ControlPlaneConfig> reader() {
        return new ConfigReader<>(ControlPlaneConfig.class, ControlPlaneConfig::problems);
    }

    /** Reads {@code file} (may be null) with {@code flags} laid over it; throws {@link ConfigException}. */
    public static ControlPlaneConfig read(Path file, Map<String, ?> flags) {
        return reader().read(file, flags).value();
    }

    /** What is wrong with this config, each problem with the key it is about. */
    public List<ConfigProblem> problems() {
        List<ConfigProblem> out = new ArrayList<>();
        if (blank(token) && blank(readToken) && blank(writeToken) && blank(nodeToken)) {
            out.add(new ConfigProblem("token", "no token: give --token (or read-token, write-token, node-token in the file);"
                    + " the control plane never runs without authentication"));
        }
        shortToken(token, "token", out);
        shortToken(readToken, "read-token", out);
        shortToken(writeToken, "write-token", out);
        shortToken(nodeToken, "node-token", out);
        positive(heartbeatTimeout, "heartbeat-timeout", out);
        positive(streamKeepalive, "stream-keepalive", out);
        if (shutdownGrace.isNegative()) {
            out.add(new ConfigProblem("shutdown-grace", "must not be negative"));
        }
        if (purgeRateLimit.requestsPerSecond() <= 0) {
            out.add(new ConfigProblem("purge-rate-limit.requests-per-second", "must be above 0"));
        }
        if (purgeRateLimit.burst() < 1) {
            out.add(new ConfigProblem("purge-rate-limit.burst", "must be at least 1"));
        }
        if (maxRequestBody.bytes() < 1024) {
            out.add(new ConfigProblem("max-request-body", "must be at least 1KiB, is " + maxRequestBody));
        }
        if (zone != null && zone.isBlank()) {
            out.add(new ConfigProblem("zone", "must not be empty"));
        }
        out.addAll(dns.problems("dns.", zone));
        if (tls != null) {
            readable(tls.certificate(), "tls.certificate", out, true);
            readable(tls.privateKey(), "tls.private-key", out, true);
            readable(tls.clientCa(), "tls.client-ca", out, false);
        }
        return out;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static void shortToken(String t, String key, List<ConfigProblem> out) {
        if (t != null && t.length() < 8) {
            out.add(new ConfigProblem(key, "too short: a bearer token needs at least 8 characters"));
        }
    }

    private static void positive(Duration d, String key, List<ConfigProblem> out) {
        if (d.isNegative() || d.isZero()) {
            out.add(new ConfigProblem(key, "must be longer than 0"));
        }
    }

    private static void readable(String file, String key, List<ConfigProblem> out, boolean required) {
        if (file == null) {
            if (required) {
                out.add(new ConfigProblem(key, "missing"));
            }
        } else if (!Files.isReadable(Path.of(file))) {
            out.add(new ConfigProblem(key, "cannot read file '" + file + "'"));
        }
    }
}
