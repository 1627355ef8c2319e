package dev.outpost.config;

/**
 * What the control plane runs with. Every key is also a flag of the same name
 * ({@code --dns-listen}); flags win over the file.
 *
 * @param listen address of the HTTP API ({@code /v1/...})
 * @param dnsListen address of the authoritative DNS server (UDP and TCP)
 * @param zone the CDN's zone, e.g. {@code cdn.example.test}
 * @param geoip MaxMind-format ({@code .mmdb}) database for client locations
 * @param dataDir where the embedded store keeps registry, config versions and purge log
 * @param token one bearer token with read and write scope
 * @param readToken bearer token with read scope only
 * @param writeToken bearer token with read and write scope
 * @param dns the DNS server's answering policy
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
        DnsSettings dns) {

    public ControlPlaneConfig {
        listen = listen == null ? HostPort.parse("0.0.0.0:7000") : listen;
        dnsListen = dnsListen == null ? HostPort.parse("0.0.0.0:53") : dnsListen;
        dataDir = dataDir == null ? "./control-plane-data" : dataDir;
        dns = dns == null ? DnsSettings.DEFAULT : dns;
    }
}
