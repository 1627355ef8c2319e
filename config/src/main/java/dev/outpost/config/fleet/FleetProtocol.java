package dev.outpost.config.fleet;

/**
 * The names the control plane and its nodes agree on: API paths, subscription event names and
 * query parameters. Both sides (and simulated nodes in benchmarks) use these constants, so the
 * protocol is written down once.
 *
 * <p>A node's session: {@code POST /v1/nodes/register} ({@link NodeRegistration}, answered with
 * a {@link RegistrationReply}); then {@code GET /v1/nodes/{id}/events?after=SEQ} as a
 * Server-Sent Events stream: first a {@code config} event ({@link ConfigVersion}) when a version
 * is meant for the node, then one {@code purge} event ({@link PurgeEvent}) per purge after
 * {@code SEQ} in order, then {@code synced} ({@link SyncMarker}), then live {@code config} and
 * {@code purge} events. The node posts cumulative {@link Ack}s to {@code /v1/nodes/{id}/acks}
 * and {@link Heartbeat}s to {@code /v1/nodes/{id}/heartbeat}. Every request carries
 * {@code Authorization: Bearer TOKEN}.
 */
public final class FleetProtocol {

    private FleetProtocol() {
    }

    public static final String API = "/v1";
    public static final String REGISTER = API + "/nodes/register";
    public static final String NODES = API + "/nodes";
    public static final String PURGES = API + "/purges";
    public static final String CONFIGS = API + "/configs";
    public static final String STATS = API + "/stats";

    /** {@code /v1/nodes/{id}/events}: the node's subscription. */
    public static String events(String nodeId) {
        return NODES + "/" + nodeId + "/events";
    }

    /** {@code /v1/nodes/{id}/acks}. */
    public static String acks(String nodeId) {
        return NODES + "/" + nodeId + "/acks";
    }

    /** {@code /v1/nodes/{id}/heartbeat}. */
    public static String heartbeat(String nodeId) {
        return NODES + "/" + nodeId + "/heartbeat";
    }

    /** Query parameter of the subscription: the last purge sequence the node applied. */
    public static final String AFTER = "after";
    /** Query parameter of the subscription: keep-alive interval the node wants, in milliseconds. */
    public static final String KEEPALIVE = "keepalive-ms";

    public static final String EVENT_CONFIG = "config";
    public static final String EVENT_PURGE = "purge";
    public static final String EVENT_SYNCED = "synced";
}
