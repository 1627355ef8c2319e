package dev.outpost.controlplane.dns;

import dev.outpost.config.DnsSettings;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TextParseException;

/**
 * The static shape of the zones: which names exist, what each one is (a pool answered with
 * edges, a nameserver host, an empty non-terminal) and the SOA/NS at every apex. Built once
 * from config; {@link #find} classifies a query name.
 */
final class ZoneModel {

    /**
     * A name answered with edges of {@code pool}: edges listing that pool, and edges listing no
     * pools (they serve every name). A name's pool defaults to its first label ({@code img});
     * the apex's to none (only edges that serve every name).
     */
    record PoolName(Name name, String pool, int answers, long ttlSeconds) {
    }

    /** A zone's apex records; {@code negativeSoa} is the SOA as sent with NXDOMAIN/NODATA. */
    record Zone(Name apex, SOARecord soa, List<NSRecord> ns, SOARecord negativeSoa) {
    }

    /** What a query name is. */
    sealed interface Target permits Outside, Apex, Pool, Host, Empty, Missing {
    }

    /** Not in any zone: REFUSED. */
    record Outside() implements Target {
    }

    record Apex(Zone zone, PoolName pool) implements Target {
    }

    record Pool(Zone zone, PoolName pool) implements Target {
    }

    /** A nameserver host inside a zone, with its glue addresses. */
    record Host(Zone zone, List<InetAddress> addresses) implements Target {
    }

    /** An empty non-terminal: exists, owns no records (NODATA). */
    record Empty(Zone zone) implements Target {
    }

    /** No such name in the zone (NXDOMAIN). */
    record Missing(Zone zone) implements Target {
    }

    private static final Outside OUTSIDE = new Outside();

    private final List<Zone> zones;
    private final Map<Name, Target> names = new HashMap<>();
    private final Set<Name> nonTerminals = new HashSet<>();
    private final Map<Name, Missing> missing = new HashMap<>();
    private final Map<Name, Empty> empty = new HashMap<>();

    ZoneModel(String mainZone, DnsSettings settings, long serial) {
        List<String> zoneNames = new ArrayList<>();
        zoneNames.add(DnsSettings.normalize(mainZone));
        settings.zones().forEach(z -> zoneNames.add(DnsSettings.normalize(z)));
        List<Name> nsNames = new ArrayList<>();
        Map<Name, List<InetAddress>> glue = new HashMap<>();
        if (settings.nameservers().isEmpty()) {
            nsNames.add(name("ns1." + zoneNames.get(0)));
        }
        for (DnsSettings.Nameserver ns : settings.nameservers()) {
            String nsName = DnsSettings.normalize(ns.name());
            Name n = name(nsName.contains(".") ? nsName : nsName + "." + zoneNames.get(0));
            nsNames.add(n);
            List<InetAddress> addrs = new ArrayList<>();
            for (String a : ns.addresses()) {
                addrs.add(address(a));
            }
            glue.put(n, addrs);
        }
        DnsSettings.Soa s = settings.soa();
        long negative = Math.min(s.ttl().toSeconds(), s.minimum().toSeconds());
        List<Zone> built = new ArrayList<>();
        for (String z : zoneNames) {
            Name apex = name(z);
            Name rname = name(s.rname() == null ? "hostmaster." + z : DnsSettings.normalize(s.rname()));
            SOARecord soa = new SOARecord(apex, DClass.IN, s.ttl().toSeconds(), nsNames.get(0), rname,
                    serial & 0xffffffffL, secs(s.refresh()), secs(s.retry()), secs(s.expire()), secs(s.minimum()));
            List<NSRecord> ns = nsNames.stream().map(n -> new NSRecord(apex, DClass.IN, s.ttl().toSeconds(), n)).toList();
            SOARecord negativeSoa = new SOARecord(apex, DClass.IN, negative, soa.getHost(), soa.getAdmin(),
                    soa.getSerial(), soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum());
            Zone zone = new Zone(apex, soa, ns, negativeSoa);
            built.add(zone);
            names.put(apex, new Apex(zone, new PoolName(apex, null, settings.answers(), secs(settings.ttl()))));
        }
        built.sort(Comparator.comparingInt((Zone zz) -> zz.apex().labels()).reversed());
        this.zones = List.copyOf(built);
        for (Map.Entry<Name, List<InetAddress>> g : glue.entrySet()) {
            Zone zone = zoneOf(g.getKey());
            if (zone != null && !g.getKey().equals(zone.apex())) {
                names.put(g.getKey(), new Host(zone, List.copyOf(g.getValue())));
                addNonTerminals(g.getKey(), zone);
            }
        }
        for (Name n : nsNames) {
            Zone zone = zoneOf(n);
            if (zone != null && !names.containsKey(n)) {
                names.put(n, new Host(zone, List.of()));
                addNonTerminals(n, zone);
            }
        }
        for (DnsSettings.Name n : settings.names()) {
            Name abs = name(DnsSettings.absolute(n.name(), zoneNames));
            Zone zone = zoneOf(abs);
            String poolName = n.pool() != null ? n.pool()
                    : abs.equals(zone.apex()) ? null : abs.getLabelString(0).toLowerCase(java.util.Locale.ROOT);
            PoolName pool = new PoolName(abs, poolName,
                    n.answers() == null ? settings.answers() : n.answers(),
                    n.ttl() == null ? secs(settings.ttl()) : secs(n.ttl()));
            if (abs.equals(zone.apex())) {
                names.put(abs, new Apex(zone, pool));
            } else {
                names.put(abs, new Pool(zone, pool));
                addNonTerminals(abs, zone);
            }
        }
        for (Zone z : zones) {
            missing.put(z.apex(), new Missing(z));
            empty.put(z.apex(), new Empty(z));
        }
    }

    private void addNonTerminals(Name n, Zone zone) {
        for (int drop = 1; n.labels() - drop > zone.apex().labels(); drop++) {
            nonTerminals.add(new Name(n, drop));
        }
    }

    /** What {@code qname} is. */
    Target find(Name qname) {
        Target t = names.get(qname);
        if (t != null) {
            return t;
        }
        Zone zone = zoneOf(qname);
        if (zone == null) {
            return OUTSIDE;
        }
        return nonTerminals.contains(qname) ? empty.get(zone.apex()) : missing.get(zone.apex());
    }

    Zone zoneOf(Name n) {
        for (Zone z : zones) {
            if (n.subdomain(z.apex())) {
                return z;
            }
        }
        return null;
    }

    List<Zone> zones() {
        return zones;
    }

    static Name name(String text) {
        try {
            return Name.fromString(text.endsWith(".") ? text : text + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("not a domain name: '" + text + "'");
        }
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByAddress(dev.outpost.config.Cidr.parse(text).network());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + text + "'");
        }
    }

    private static long secs(Duration d) {
        return Math.max(0, Math.min(d.toSeconds(), Integer.MAX_VALUE));
    }
}
