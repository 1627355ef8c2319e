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
 * @param listen address of the HTTP API ({@code /v1/...}); HTTPS when {@code tls} is set. Loopback
 *     ({@code 127.0.0.1:7000}) unless told otherwise: a fleet gives {@code --listen 0.0.0.0:7000}
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
 * @param store where the state lives: {@code rocksdb} (default: embedded, one control plane) or
 *     {@code etcd} (shared by any number of control-plane replicas)
 * @param etcdEndpoints etcd client URLs ({@code http://host:2379}, or {@code https://} with
 *     {@code etcd-ca}); a flag may give several separated by commas
 * @param etcdUser etcd user (role-based auth); needs {@code etcd-password-file}
 * @param etcdPasswordFile file whose first line is the etcd user's password (kept out of flags
 *     and process listings)
 * @param etcdCa PEM file of the CA that signed the etcd servers' certificates
 * @param etcdCert PEM client certificate for etcd's mutual TLS (with {@code etcd-key})
 * @param etcdKey PEM private key (PKCS#8) of {@code etcd-cert}
 * @param etcdPrefix every key Outpost writes to etcd starts with this (default {@code /outpost/}),
 *     so one etcd can hold several fleets
 * @param etcdTimeout the longest one etcd request may take before the API call fails (default 5s)
 * @param limits connections per address, head and idle timeouts of the API listener
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
        Duration shutdownGrace,
        String store,
        List<String> etcdEndpoints,
        String etcdUser,
        String etcdPasswordFile,
        String etcdCa,
        String etcdCert,
        String etcdKey,
        String etcdPrefix,
        Duration etcdTimeout,
        ListenerLimits limits) {

    public ControlPlaneConfig {
        listen = listen == null ? HostPort.parse("127.0.0.1:7000") : listen;
        dnsListen = dnsListen == null ? HostPort.parse("0.0.0.0:53") : dnsListen;
        dataDir = dataDir == null ? "./control-plane-data" : dataDir;
        dns = dns == null ? DnsSettings.DEFAULT : dns;
        heartbeatTimeout = heartbeatTimeout == null ? Duration.ofSeconds(15) : heartbeatTimeout;
        purgeRateLimit = purgeRateLimit == null ? new RateLimit(20.0, 100, null) : purgeRateLimit;
        maxRequestBody = maxRequestBody == null ? DataSize.ofMebibytes(1) : maxRequestBody;
        streamKeepalive = streamKeepalive == null ? Duration.ofSeconds(5) : streamKeepalive;
        shutdownGrace = shutdownGrace == null ? Duration.ofSeconds(10) : shutdownGrace;
        store = store == null ? "rocksdb" : store.strip().toLowerCase(java.util.Locale.ROOT);
        etcdEndpoints = splitCommas(etcdEndpoints);
        etcdPrefix = etcdPrefix == null ? "/outpost/" : etcdPrefix;
        etcdTimeout = etcdTimeout == null ? Duration.ofSeconds(5) : etcdTimeout;
        limits = limits == null ? ListenerLimits.DEFAULT : limits;
    }

    /** The same config with every key except the store's; {@code store} and the {@code etcd-*} keys at their defaults. */
    public ControlPlaneConfig(HostPort listen, HostPort dnsListen, String zone, String geoip, String dataDir,
                              String token, String readToken, String writeToken, DnsSettings dns,
                              String nodeToken, Duration heartbeatTimeout, RateLimit purgeRateLimit,
                              DataSize maxRequestBody, TlsSettings tls, Duration streamKeepalive,
                              Duration shutdownGrace) {
        this(listen, dnsListen, zone, geoip, dataDir, token, readToken, writeToken, dns, nodeToken,
                heartbeatTimeout, purgeRateLimit, maxRequestBody, tls, streamKeepalive, shutdownGrace,
                null, null, null, null, null, null, null, null, null, null);
    }

    /** This config with its state in etcd at {@code endpoints} (tests and the HA fleet). */
    public ControlPlaneConfig withEtcd(List<String> endpoints, String prefix) {
        return new ControlPlaneConfig(listen, dnsListen, zone, geoip, dataDir, token, readToken, writeToken, dns,
                nodeToken, heartbeatTimeout, purgeRateLimit, maxRequestBody, tls, streamKeepalive, shutdownGrace,
                "etcd", endpoints, etcdUser, etcdPasswordFile, etcdCa, etcdCert, etcdKey, prefix, etcdTimeout, limits);
    }

    /** This config with these limits on its API listener. */
    public ControlPlaneConfig withLimits(ListenerLimits l) {
        return new ControlPlaneConfig(listen, dnsListen, zone, geoip, dataDir, token, readToken, writeToken, dns,
                nodeToken, heartbeatTimeout, purgeRateLimit, maxRequestBody, tls, streamKeepalive, shutdownGrace,
                store, etcdEndpoints, etcdUser, etcdPasswordFile, etcdCa, etcdCert, etcdKey, etcdPrefix, etcdTimeout, l);
    }

    /** Whether the state lives in etcd (shared by replicas) rather than in the embedded store. */
    public boolean etcd() {
        return "etcd".equals(store);
    }

    private static List<String> splitCommas(List<String> values) {
        if (values == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String v : values) {
            if (v != null) {
                for (String part : v.split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.strip());
                    }
                }
            }
        }
        return List.copyOf(out);
    }

    /** The config of the first nine keys (the original contract), every other key at its default. */
    public ControlPlaneConfig(HostPort listen, HostPort dnsListen, String zone, String geoip, String dataDir,
                              String token, String readToken, String writeToken, DnsSettings dns) {
        this(listen, dnsListen, zone, geoip, dataDir, token, readToken, writeToken, dns,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
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
        out.addAll(limits.problems("limits."));
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
        storeProblems(out);
        return out;
    }

    private void storeProblems(List<ConfigProblem> out) {
        if (!"rocksdb".equals(store) && !"etcd".equals(store)) {
            out.add(new ConfigProblem("store", "must be rocksdb or etcd, is '" + store + "'"));
            return;
        }
        if (!etcd()) {
            return;
        }
        if (etcdEndpoints.isEmpty()) {
            out.add(new ConfigProblem("etcd-endpoints", "store is etcd: give at least one URL, e.g. http://127.0.0.1:2379"));
        }
        for (String e : etcdEndpoints) {
            java.net.URI u;
            try {
                u = java.net.URI.create(e);
            } catch (IllegalArgumentException ex) {
                out.add(new ConfigProblem("etcd-endpoints", "not a URL: '" + e + "'"));
                continue;
            }
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null || u.getPort() < 1) {
                out.add(new ConfigProblem("etcd-endpoints", "want http://HOST:PORT or https://HOST:PORT, not '" + e + "'"));
            }
        }
        if (etcdUser != null && etcdPasswordFile == null) {
            out.add(new ConfigProblem("etcd-password-file", "etcd-user is set: give the file holding its password"));
        }
        readable(etcdPasswordFile, "etcd-password-file", out, false);
        readable(etcdCa, "etcd-ca", out, false);
        readable(etcdCert, "etcd-cert", out, false);
        readable(etcdKey, "etcd-key", out, false);
        if ((etcdCert == null) != (etcdKey == null)) {
            out.add(new ConfigProblem(etcdCert == null ? "etcd-cert" : "etcd-key", "etcd-cert and etcd-key go together"));
        }
        if (!etcdPrefix.startsWith("/") || !etcdPrefix.endsWith("/")) {
            out.add(new ConfigProblem("etcd-prefix", "must start and end with '/', is '" + etcdPrefix + "'"));
        }
        positive(etcdTimeout, "etcd-timeout", out);
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
