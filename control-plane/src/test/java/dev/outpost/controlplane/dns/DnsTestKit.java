package dev.outpost.controlplane.dns;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.OutpostJson;
import dev.outpost.testing.ManualClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;

/** Starts a GeoDnsServer on a free loopback port and talks to it with real DNS packets. */
final class DnsTestKit implements AutoCloseable {

    static final String ZONE = "cdn.example.test";

    final FakeEdgeDirectory edges;
    final ManualClock clock = new ManualClock();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final GeoDnsServer server;

    /** A server for {@link #ZONE} over the test GeoIP database, with {@code dnsYaml} as its {@code dns:} block. */
    DnsTestKit(FakeEdgeDirectory edges, String dnsYaml) {
        this(edges, dnsYaml, testDatabase());
    }

    DnsTestKit(FakeEdgeDirectory edges, String dnsYaml, Path geoip) {
        this.edges = edges;
        this.server = new GeoDnsServer(config(dnsYaml, geoip), edges, registry, clock);
        server.start();
    }

    static ControlPlaneConfig config(String dnsYaml, Path geoip) {
        StringBuilder yaml = new StringBuilder()
                .append("dns-listen: 127.0.0.1:0\n")
                .append("zone: ").append(ZONE).append('\n');
        if (geoip != null) {
            yaml.append("geoip: ").append(geoip).append('\n');
        }
        if (dnsYaml != null && !dnsYaml.isBlank()) {
            yaml.append("dns:\n");
            dnsYaml.lines().forEach(l -> yaml.append("  ").append(l).append('\n'));
        }
        try {
            return OutpostJson.yaml().readValue(yaml.toString(), ControlPlaneConfig.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Path repoRoot() {
        String root = System.getProperty("outpost.repo.root");
        Path p = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("deploy/geoip/outpost-test-city.mmdb"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("deploy/geoip/outpost-test-city.mmdb not found above " + root);
        }
        return p;
    }

    static Path testDatabase() {
        return repoRoot().resolve("deploy/geoip/outpost-test-city.mmdb");
    }

    static Path movedDatabase() {
        return repoRoot().resolve("control-plane/src/test/resources/geoip/outpost-test-city-moved.mmdb");
    }

    int port() {
        return server.udpPort();
    }

    static Name name(String n) {
        try {
            return Name.fromString(n.endsWith(".") ? n : n + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Message query(String name, int type) {
        return Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
    }

    /** A query with EDNS (payload 1232) and, when {@code subnet} is not null, an ECS option such as 203.0.113.0/24. */
    static Message query(String name, int type, String subnet) {
        Message m = query(name, type);
        List<EDNSOption> options = new ArrayList<>();
        if (subnet != null) {
            String[] parts = subnet.split("/");
            try {
                options.add(new ClientSubnetOption(Integer.parseInt(parts[1]), InetAddress.getByName(parts[0])));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        m.addRecord(new OPTRecord(1232, 0, 0, 0, options), Section.ADDITIONAL);
        return m;
    }

    /** Sends over UDP (TCP when {@code tcp}) with dnsjava's resolver; it retries TC answers over TCP itself. */
    Message send(Message query, boolean tcp) {
        try {
            SimpleResolver r = new SimpleResolver(InetAddress.getLoopbackAddress());
            r.setPort(port());
            r.setTCP(tcp);
            r.setTimeout(Duration.ofSeconds(3));
            if (query.getOPT() == null) {
                r.setEDNS(-1);  // send exactly what the test built
            }
            return r.send(query);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Message send(Message query) {
        return send(query, false);
    }

    /** The A/AAAA addresses of an answer, in order. */
    static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream()
                .map(r -> r.rdataToString())
                .toList();
    }

    static Optional<ClientSubnetOption> ecs(Message m) {
        OPTRecord opt = m.getOPT();
        if (opt == null) {
            return Optional.empty();
        }
        return opt.getOptions(EDNSOption.Code.CLIENT_SUBNET).stream().map(o -> (ClientSubnetOption) o).findFirst();
    }

    /** Sends raw bytes over UDP and returns the raw reply, or null when none came within {@code wait}. */
    byte[] raw(byte[] packet, Duration wait) {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout((int) wait.toMillis());
            s.send(new DatagramPacket(packet, packet.length, InetAddress.getLoopbackAddress(), port()));
            byte[] buf = new byte[65_535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return java.util.Arrays.copyOf(buf, p.getLength());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String metrics() {
        return registry.scrape();
    }

    /** The value of one Prometheus sample line starting with {@code prefix} (name and labels), 0 if absent. */
    double metric(String prefix) {
        return metrics().lines().filter(l -> l.startsWith(prefix + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Override
    public void close() {
        server.close();
    }
}
