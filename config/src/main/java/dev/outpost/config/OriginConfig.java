package dev.outpost.config;

import java.time.Duration;
import java.util.List;

/**
 * An origin: a pool of servers behind one name, with how to choose among them and how to tell
 * a sick one. Rules refer to origins by name; the origin named {@code default} serves requests
 * no rule sends elsewhere.
 *
 * @param hostHeader Host sent to the servers; absent means the client's Host
 * @param sni TLS server name sent to https servers; absent means the server URL's host
 * @param totalTimeout whole-exchange limit; zero means none (large objects stream for long)
 */
public record OriginConfig(
        String name,
        List<Server> servers,
        Algorithm algorithm,
        HashOn hashOn,
        String hostHeader,
        String sni,
        Duration connectTimeout,
        Duration readTimeout,
        Duration totalTimeout,
        HealthCheck healthCheck,
        Ejection ejection,
        Retry retry) {

    public OriginConfig {
        servers = servers == null ? List.of() : List.copyOf(servers);
        algorithm = algorithm == null ? Algorithm.ROUND_ROBIN : algorithm;
        hashOn = hashOn == null ? HashOn.CACHE_KEY : hashOn;
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(2) : connectTimeout;
        readTimeout = readTimeout == null ? Duration.ofSeconds(30) : readTimeout;
        totalTimeout = totalTimeout == null ? Duration.ZERO : totalTimeout;
        ejection = ejection == null ? Ejection.DEFAULT : ejection;
        retry = retry == null ? Retry.DEFAULT : retry;
    }

    /** A pool of one server, as {@code --origin URL} gives. */
    public static OriginConfig single(String name, String url) {
        return new OriginConfig(name, List.of(new Server(url, 1, 0)), null, null, null, null,
                null, null, null, null, null, null);
    }

    /** One server of the pool; {@code max-connections} 0 means no limit. */
    public record Server(String url, Integer weight, Integer maxConnections) {
        public Server {
            weight = weight == null ? 1 : weight;
            maxConnections = maxConnections == null ? 0 : maxConnections;
        }
    }

    /** How a server is chosen for each fetch. */
    public enum Algorithm { ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, LEAST_CONNECTIONS, CONSISTENT_HASH }

    /** What {@code consistent-hash} hashes. */
    public enum HashOn { CACHE_KEY, CLIENT_IP }

    /**
     * Active health checks: a server is down after {@code fall} failed checks in a row and up
     * again after {@code rise} good ones.
     */
    public record HealthCheck(String path, Integer expectedStatus, Duration interval, Duration timeout,
                              Integer fall, Integer rise) {
        public HealthCheck {
            path = path == null ? "/" : path;
            expectedStatus = expectedStatus == null ? 200 : expectedStatus;
            interval = interval == null ? Duration.ofSeconds(5) : interval;
            timeout = timeout == null ? Duration.ofSeconds(2) : timeout;
            fall = fall == null ? 3 : fall;
            rise = rise == null ? 2 : rise;
        }
    }

    /**
     * Passive ejection from live traffic: after {@code consecutive-failures} in a row, or an
     * error rate above {@code error-rate} over at least {@code min-requests}, a server is left
     * out for {@code base-time}, doubled on each new ejection up to {@code max-time}.
     *
     * <p>A failure is a server that gave no answer (connection refused or reset, timeout,
     * invalid response). A 5xx answer counts only with {@code server-errors: true}: an origin
     * that answers 500 for one broken path is not a dead server, and ejecting it would fail
     * every healthy path too.
     */
    public record Ejection(Integer consecutiveFailures, Double errorRate, Integer minRequests,
                           Duration baseTime, Duration maxTime, Boolean serverErrors) {
        public static final Ejection DEFAULT = new Ejection(null, null, null, null, null, null);

        public Ejection {
            consecutiveFailures = consecutiveFailures == null ? 5 : consecutiveFailures;
            errorRate = errorRate == null ? 0.5 : errorRate;
            minRequests = minRequests == null ? 20 : minRequests;
            baseTime = baseTime == null ? Duration.ofSeconds(10) : baseTime;
            maxTime = maxTime == null ? Duration.ofMinutes(5) : maxTime;
            serverErrors = serverErrors != null && serverErrors;
        }
    }

    /**
     * Retries of idempotent fetches on another server: at most {@code attempts} more, and no
     * more retries than {@code budget} times the requests in flight, so retries can't multiply
     * an outage.
     */
    public record Retry(Integer attempts, Double budget) {
        public static final Retry DEFAULT = new Retry(null, null);

        public Retry {
            attempts = attempts == null ? 1 : attempts;
            budget = budget == null ? 0.2 : budget;
        }
    }
}
