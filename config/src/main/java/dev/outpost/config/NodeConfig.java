package dev.outpost.config;

import java.time.Duration;
import java.util.List;

/**
 * Everything an edge or shield node runs with: its identity and listeners, its cache tiers,
 * and the delivery config (hosts, origins, rules). Every key is also a flag of the same name
 * ({@code data-dir} is {@code --data-dir}); flags win over the file.
 *
 * @param nodeId the node's name, used as the cache identifier in Cache-Status; by default the
 *     host name and the client listener's port ({@code web1-8080}), so that several nodes on one
 *     host get different names (tiers tell loops apart by them)
 * @param role {@code edge} (misses go to shields when there are any) or {@code shield}
 * @param origin shorthand for an origin {@code default} with this one server
 * @param shield shield URLs an edge sends its misses to, ranked per key by rendezvous hashing
 * @param originFallback when every shield is down, fetch from the origin directly
 * @param controlPlane control-plane URL; absent means standalone. Several replicas: a YAML list,
 *     a repeated flag or URLs separated by commas (see {@link #controlPlanes()})
 * @param token bearer token presented to the control plane
 * @param adminToken bearer token required by the admin listener's POST endpoints
 * @param trustedProxies networks (CIDR) whose X-Forwarded-For and Forwarded are believed
 * @param accessLog {@code stdout}, {@code off} or a file path
 * @param disconnectedBound how long the node may be cut off from the control plane before
 *     {@code disconnected-policy} applies
 * @param disconnectedPolicy {@code serve} (keep serving hits) or {@code revalidate} (revalidate
 *     every hit with the origin, since purges may have been missed)
 * @param originIdleTimeout an idle keep-alive connection to an origin or shield is closed after
 *     this; kept under the origins' own keep-alive (5 s is common) so that a request is never
 *     sent on a connection the origin has just closed
 * @param adminLimits connections per address, head and idle timeouts of the admin listener
 */
public record NodeConfig(
        String nodeId,
        Role role,
        String region,
        Coordinates coordinates,
        String publicAddress,
        HostPort listen,
        HostPort admin,
        String dataDir,
        String origin,
        List<String> shield,
        Boolean originFallback,
        @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = CommaJoined.class) String controlPlane,
        String token,
        String adminToken,
        List<String> trustedProxies,
        Boolean http2,
        TlsSettings tls,
        HttpLimits limits,
        CacheSettings cache,
        String accessLog,
        Duration heartbeatInterval,
        Duration disconnectedBound,
        DisconnectedPolicy disconnectedPolicy,
        Duration shutdownGrace,
        Duration originIdleTimeout,
        ListenerLimits adminLimits,
        List<String> hosts,
        Integer unknownHostStatus,
        List<OriginConfig> origins,
        List<Rule> rules,
        Rule defaultRule) {

    public NodeConfig {
        listen = listen == null ? HostPort.parse("0.0.0.0:8080") : listen;
        nodeId = nodeId == null || nodeId.isBlank() ? defaultNodeId(listen) : nodeId;
        role = role == null ? Role.EDGE : role;
        region = region == null ? "default" : region;
        admin = admin == null ? HostPort.parse("127.0.0.1:9080") : admin;
        dataDir = dataDir == null ? "./data" : dataDir;
        shield = shield == null ? List.of() : List.copyOf(shield);
        originFallback = originFallback == null || originFallback;
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
        http2 = http2 == null || http2;
        limits = limits == null ? HttpLimits.DEFAULT : limits;
        cache = cache == null ? CacheSettings.DEFAULT : cache;
        accessLog = accessLog == null ? "stdout" : accessLog;
        heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(5) : heartbeatInterval;
        disconnectedBound = disconnectedBound == null ? Duration.ofMinutes(5) : disconnectedBound;
        disconnectedPolicy = disconnectedPolicy == null ? DisconnectedPolicy.SERVE : disconnectedPolicy;
        shutdownGrace = shutdownGrace == null ? Duration.ofSeconds(10) : shutdownGrace;
        originIdleTimeout = originIdleTimeout == null ? Duration.ofSeconds(2) : originIdleTimeout;
        adminLimits = adminLimits == null ? ListenerLimits.DEFAULT : adminLimits;
    }

    /** The delivery part, with {@code origin} applied as the {@code default} origin. */
    public DeliveryConfig delivery() {
        DeliveryConfig d = new DeliveryConfig(hosts, unknownHostStatus, origins, rules, defaultRule);
        return origin == null ? d : d.withDefaultOrigin(origin);
    }

    /**
     * The host name and the client port ({@code web1-8080}); with port 0 (any free port, known
     * only once bound) the process id stands in for it ({@code web1-pid4242}).
     */
    static String defaultNodeId(HostPort listen) {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "outpost";
            }
        }
        String name = host.replaceAll("[^A-Za-z0-9._-]", "-");
        return name + "-" + (listen.port() != 0 ? Integer.toString(listen.port()) : "pid" + ProcessHandle.current().pid());
    }

    /** What a node does in the fleet. */
    public enum Role { EDGE, SHIELD }

    /** What a node cut off from the control plane for too long does with hits. */
    public enum DisconnectedPolicy { SERVE, REVALIDATE }

    /**
     * The control-plane URLs in the order given: the node stays on one and moves to the next when
     * it fails. Empty when the node runs standalone.
     */
    public List<String> controlPlanes() {
        if (controlPlane == null) {
            return List.of();
        }
        return java.util.Arrays.stream(controlPlane.split(",")).map(String::strip).filter(u -> !u.isEmpty()).toList();
    }
}
