package dev.outpost.controlplane.dns;

import dev.outpost.config.Coordinates;
import java.net.InetAddress;

/**
 * Where the GeoIP database puts an address, and the network that location holds for (the
 * database's own prefix, or the unmapped block around the address when it is unknown).
 *
 * @param address the address looked up
 * @param network first address of the database network holding {@code address}
 * @param prefix prefix length of that network, in the address's own family (IPv4: 0..32)
 * @param coordinates latitude and longitude; null when unknown (never 0,0 as a stand-in)
 */
record ClientLocation(InetAddress address, InetAddress network, int prefix, String continent, String country,
                      String city, Coordinates coordinates) {

    static ClientLocation unknown(InetAddress address, InetAddress network, int prefix) {
        return new ClientLocation(address, network, prefix, null, null, null, null);
    }

    /** The same location for another address of the same network. */
    ClientLocation at(InetAddress other) {
        return new ClientLocation(other, network, prefix, continent, country, city, coordinates);
    }

    boolean located() {
        return coordinates != null;
    }

    String networkText() {
        return network == null ? null : network.getHostAddress() + "/" + prefix;
    }
}
