package dev.outpost.config;

import java.time.Duration;
import java.util.List;

/**
 * What one address may hold open on a listener that is not the client listener (the edge's
 * admin listener, the control plane's API): concurrent connections, time to send a request
 * head (a trickled head is cut off), and how long a keep-alive connection may sit idle. The
 * client listener has the same three in {@link HttpLimits}.
 *
 * @param maxConnectionsPerClient concurrent connections from one address; more are answered
 *     429 and closed at once
 * @param headerTimeout time allowed to send a request head
 * @param idleTimeout a keep-alive connection with no request for this long is closed
 */
public record ListenerLimits(Integer maxConnectionsPerClient, Duration headerTimeout, Duration idleTimeout) {

    /** The defaults: 64 connections per address, 10 s for a head, 60 s idle. */
    public static final ListenerLimits DEFAULT = new ListenerLimits(null, null, null);

    public ListenerLimits {
        maxConnectionsPerClient = maxConnectionsPerClient == null ? 64 : maxConnectionsPerClient;
        headerTimeout = headerTimeout == null ? Duration.ofSeconds(10) : headerTimeout;
        idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
    }

    /** What is wrong with these limits, keys under {@code prefix} (e.g. {@code admin-limits.}). */
    public List<ConfigProblem> problems(String prefix) {
        List<ConfigProblem> out = new java.util.ArrayList<>();
        if (maxConnectionsPerClient < 1) {
            out.add(new ConfigProblem(prefix + "max-connections-per-client", "must be at least 1"));
        }
        if (headerTimeout.isNegative() || headerTimeout.isZero()) {
            out.add(new ConfigProblem(prefix + "header-timeout", "must be longer than 0"));
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            out.add(new ConfigProblem(prefix + "idle-timeout", "must be longer than 0"));
        }
        return out;
    }
}
