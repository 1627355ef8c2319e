package dev.outpost.controlplane.dns;

import com.maxmind.db.CHMCache;
import com.maxmind.db.DatabaseRecord;
import com.maxmind.db.Network;
import com.maxmind.db.Reader;
import com.maxmind.geoip2.model.CityResponse;
import dev.outpost.config.Coordinates;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MaxMind-format ({@code .mmdb}) city database, read into memory, swapped for a new one when
 * the file changes ({@link #reloadIfChanged()}). A lookup also returns the database network that
 * holds the address, which is what an ECS answer's scope is built from. With no file every
 * address is unknown.
 */
final class GeoIpDatabase {

    private static final Logger LOG = LoggerFactory.getLogger(GeoIpDatabase.class);

    private record Loaded(Reader reader, Object fileKey, long modified, long size,
                          ConcurrentHashMap<CacheKey, ClientLocation> cache) {
    }

    /** An address truncated to /24 (IPv4) or /56 (IPv6): the finest prefix resolvers send in ECS. */
    private record CacheKey(long high, long low) {
    }

    private static final int CACHE_LIMIT = 200_000;

    private final Path file;
    private volatile Loaded loaded;
    private volatile long generation;

    /** Opens {@code file} (null: no database); throws IllegalArgumentException naming the file. */
    GeoIpDatabase(Path file) {
        this.file = file;
        if (file != null) {
            try {
                loaded = open(file);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("geoip: cannot read " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private static Loaded open(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        Reader reader = new Reader(file.toFile(), Reader.FileMode.MEMORY, new CHMCache(4096));
        String type = reader.getMetadata().databaseType();
        if (type == null || !type.contains("City")) {
            throw new IOException("not a city database (database type " + type + ")");
        }
        return new Loaded(reader, attrs.fileKey(), attrs.lastModifiedTime().toMillis(), attrs.size(),
                new ConcurrentHashMap<>());
    }

    /**
     * Loads the file again when its modification time, size or identity changed. A file that
     * cannot be read leaves the current database in place. Returns whether a new one was loaded.
     */
    boolean reloadIfChanged() {
        if (file == null) {
            return false;
        }
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            Loaded current = loaded;
            if (current != null && Objects.equals(current.fileKey(), attrs.fileKey())
                    && current.modified() == attrs.lastModifiedTime().toMillis() && current.size() == attrs.size()) {
                return false;
            }
            loaded = open(file);
            generation++;
            LOG.info("geoip database reloaded from {} (build {})", file, loaded.reader().getMetadata().buildTime());
            // the old reader is left to the garbage collector: in-flight lookups may still use it
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("geoip database {} not reloaded, keeping the current one: {}", file, e.toString());
            return false;
        }
    }

    /** Bumped on every reload. */
    long generation() {
        return generation;
    }

    Path file() {
        return file;
    }

    /**
     * Where {@code address} is; unknown when there is no database or no record. Locations of
     * database networks no finer than /24 (IPv4) or /56 (IPv6) are remembered per such block,
     * so a resolver's ECS queries decode the database record once.
     */
    ClientLocation lookup(InetAddress address) {
        Loaded l = loaded;
        if (l == null) {
            return ClientLocation.unknown(address, truncate(address, 0), 0);
        }
        byte[] a = address.getAddress();
        int block = a.length == 4 ? 24 : 56;
        CacheKey key = key(a, block);
        ClientLocation cached = l.cache().get(key);
        if (cached != null) {
            return cached.address().equals(address) ? cached : cached.at(address);
        }
        ClientLocation found = decode(l, address);
        if (found.prefix() <= block) {
            if (l.cache().size() >= CACHE_LIMIT) {
                l.cache().clear();
            }
            l.cache().put(key, found);
        }
        return found;
    }

    private static CacheKey key(byte[] a, int prefix) {
        long high = 0;
        long low = 0;
        for (int i = 0; i < a.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            int b = a[i] & (0xff << (8 - keep)) & 0xff;
            if (i < 8) {
                high = high << 8 | b;
            } else {
                low = low << 8 | b;
            }
        }
        return new CacheKey(a.length == 4 ? high | 1L << 40 : high, low);
    }

    private static ClientLocation decode(Loaded l, InetAddress address) {
        int bits = address instanceof Inet4Address ? 32 : 128;
        DatabaseRecord<CityResponse> record;
        try {
            record = l.reader().getRecord(address, CityResponse.class);
        } catch (IOException | RuntimeException e) {
            // e.g. an IPv6 address in an IPv4-only database: unknown, for this address alone
            return ClientLocation.unknown(address, address, bits);
        }
        Network net = record.network();
        int prefix = net == null ? bits : Math.min(bits, net.prefixLength());
        InetAddress network = truncate(address, prefix);
        CityResponse city = record.data();
        if (city == null) {
            return ClientLocation.unknown(address, network, prefix);
        }
        Coordinates where = null;
        if (city.location() != null && city.location().latitude() != null && city.location().longitude() != null) {
            double lat = city.location().latitude();
            double lon = city.location().longitude();
            if (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
                where = new Coordinates(lat, lon);
            }
        }
        return new ClientLocation(address, network, prefix,
                city.continent() == null ? null : city.continent().code(),
                city.country() == null ? null : city.country().isoCode(),
                city.city() == null || city.city().names() == null ? null : city.city().names().get("en"),
                where);
    }

    /** {@code address} with every bit past {@code prefix} cleared. */
    static InetAddress truncate(InetAddress address, int prefix) {
        byte[] b = address.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            b[i] = (byte) (b[i] & (0xff << (8 - keep)));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
