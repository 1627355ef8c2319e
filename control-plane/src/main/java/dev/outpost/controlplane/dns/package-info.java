/**
 * GeoDNS: the control plane's authoritative DNS server, which steers each client to its nearest
 * healthy edge.
 *
 * <p>Start with {@link dev.outpost.controlplane.dns.GeoDnsServer} (built by the control plane
 * from its config and the registry's {@link dev.outpost.controlplane.dns.EdgeDirectory}; UDP
 * and TCP listeners, rate limiting, GeoIP reloads, {@code explain} for the CLI). One packet is
 * answered by {@code DnsHandler}; which edges a client gets is decided by {@code Steering},
 * once per location and directory version; {@code ZoneModel} knows which names exist and
 * {@code GeoIpDatabase} where a client is. {@code ResponseRateLimiter} keeps the server from
 * being an amplifier. Only the server, the directory types and
 * {@link dev.outpost.controlplane.dns.DnsExplanation} are public.
 */
package dev.outpost.controlplane.dns;
