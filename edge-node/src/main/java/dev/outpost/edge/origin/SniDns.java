package dev.outpost.edge.origin;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import okhttp3.Dns;

/**
 * The SNI override: the pool addresses an https server by its SNI name (so OkHttp sends that
 * name in the TLS handshake and verifies the certificate against it), and this resolver maps
 * the name to the server's real host. Each server with an override gets its own client with
 * its own resolver, so OkHttp never pools a connection to one server for another.
 */
final class SniDns implements Dns {

    private final String sni;
    private final String realHost;

    SniDns(String sni, String realHost) {
        this.sni = sni;
        this.realHost = realHost;
    }

    @Override
    public List<InetAddress> lookup(String hostname) throws UnknownHostException {
        return Dns.SYSTEM.lookup(hostname.equalsIgnoreCase(sni) ? realHost : hostname);
    }
}
