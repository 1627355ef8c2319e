package dev.outpost.controlplane.dns;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.outpost.config.OutpostJson;
import java.util.List;

/**
 * What a client at one address gets for one name, and why: the answer of
 * {@link GeoDnsServer#explain}, behind the CLI's {@code dns resolve NAME --client IP} and
 * {@code GET /v1/dns/resolve}. JSON through {@link OutpostJson} (kebab-case keys).
 *
 * @param name the name asked, absolute without the final dot
 * @param zone the zone it belongs to; null when it is in none
 * @param rcode what a query would get: NOERROR, NXDOMAIN, or REFUSED (outside every zone)
 * @param pool the pool of edges the name answers with; null for every edge or not a pool name
 * @param client where the GeoIP database puts the client
 * @param policy nearest, override, fallback (no location), with {@code +degraded} when no
 *     healthy edge was left, or static-fallback
 * @param override the override applied, e.g. {@code country JP -> region ap-south}; null if none
 * @param ecsScope the scope prefix an ECS query (/24, /56) for the client would get
 * @param ttl TTL of the A answer (the AAAA one when there is no A answer)
 * @param degraded whether fewer healthy edges than wanted were available
 * @param ipv4Answers the A answer
 * @param ipv6Answers the AAAA answer
 * @param candidates every edge, nearest first, with whether it was chosen
 */
public record DnsExplanation(
        String name,
        String zone,
        String rcode,
        String pool,
        Client client,
        String policy,
        String override,
        Integer ecsScope,
        Long ttl,
        boolean degraded,
        List<String> ipv4Answers,
        List<String> ipv6Answers,
        List<Candidate> candidates) {

    /**
     * The client as the GeoIP database knows it.
     *
     * @param network the database network holding the address (what ECS scopes are built from)
     * @param located whether the database has coordinates for it
     */
    public record Client(String address, String network, boolean located, String continent, String country,
                         String city, Double latitude, Double longitude) {
    }

    /**
     * One edge, as steering saw it for this client.
     *
     * @param distanceKm great-circle distance from the client (or the point steered from); null
     *     when there is no location to measure from
     * @param weight the node's weight times its region's
     * @param inPool whether the edge serves this name's pool
     * @param chosen whether it is in the A or AAAA answer
     */
    public record Candidate(String nodeId, String region, List<String> addresses, Double distanceKm,
                            boolean healthy, boolean drained, double weight, boolean inPool, boolean chosen) {
    }

    /** This explanation as JSON. */
    public String toJson() {
        try {
            return OutpostJson.json().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
