package dev.outpost.controlplane.dns;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.OutpostJson;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The GeoDNS server alone, over a fixed list of edges from a file instead of the registry: for
 * benchmarks ({@code load-tests/dns/run}), trying steering policies, and serving a zone without
 * the rest of the control plane. Run it from the control plane's jar:
 * {@code java -cp control-plane.jar dev.outpost.controlplane.dns.GeoDnsMain --help}.
 */
@Command(name = "geodns", mixinStandardHelpOptions = true,
        description = "Outpost's GeoDNS server over a fixed list of edges (benchmarks, trials).")
public final class GeoDnsMain implements Callable<Integer> {

    @Option(names = "--config", description = "control-plane YAML (its zone, geoip, dns-listen and dns keys are used)")
    Path config;

    @Option(names = "--dns-listen", description = "HOST:PORT for UDP and TCP (default 0.0.0.0:53)")
    String dnsListen;

    @Option(names = "--zone", description = "the zone to answer for, e.g. cdn.example.test")
    String zone;

    @Option(names = "--geoip", description = "MaxMind-format city database (.mmdb)")
    String geoip;

    @Option(names = "--edges", required = true,
            description = "YAML or JSON list of edges: node-id, region, coordinates, addresses, healthy, drained, weight, pools")
    Path edges;

    public static void main(String[] args) {
        System.exit(new CommandLine(new GeoDnsMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> flags = new LinkedHashMap<>();
        if (dnsListen != null) {
            flags.put("dns-listen", dnsListen);
        }
        if (zone != null) {
            flags.put("zone", zone);
        }
        if (geoip != null) {
            flags.put("geoip", geoip);
        }
        ControlPlaneConfig cfg;
        List<EdgeCandidate> list;
        try {
            cfg = new ConfigReader<>(ControlPlaneConfig.class, c -> c.dns().problems("dns.", c.zone()))
                    .read(config, flags).value();
            var mapper = edges.toString().endsWith(".json") ? OutpostJson.json() : OutpostJson.yaml();
            list = mapper.readValue(edges.toFile(), new TypeReference<List<EdgeSpec>>() { }).stream()
                    .map(EdgeSpec::candidate).toList();
        } catch (ConfigException e) {
            System.err.println("geodns: " + e.getMessage());
            return 2;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("geodns: " + edges + ": " + e.getMessage().lines().findFirst().orElse(""));
            return 2;
        }
        StaticDirectory directory = new StaticDirectory(list);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        GeoDnsServer server;
        try {
            server = new GeoDnsServer(cfg, directory, registry, InstantSource.system());
            server.start();
        } catch (RuntimeException e) {
            System.err.println("geodns: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "geodns-shutdown"));
        System.out.println("geodns: answering " + cfg.zone() + " on " + server.udpAddress().getAddress().getHostAddress()
                + ":" + server.udpPort() + " (udp and tcp) with " + list.size() + " edges");
        stopped.await();
        return 0;
    }

    /** One edge of the file; healthy and weight 1 unless it says otherwise. */
    private record EdgeSpec(String nodeId, String region, dev.outpost.config.Coordinates coordinates,
                            List<java.net.InetAddress> addresses, Boolean healthy, Boolean drained, Double weight,
                            List<String> pools) {
        EdgeCandidate candidate() {
            if (nodeId == null || coordinates == null || addresses == null || addresses.isEmpty()) {
                throw new IllegalArgumentException("every edge needs node-id, coordinates and addresses");
            }
            return new EdgeCandidate(nodeId, region, coordinates, addresses, healthy == null || healthy,
                    drained != null && drained, weight == null ? 1.0 : weight, pools);
        }
    }

    /** A directory that never changes. */
    private record StaticDirectory(List<EdgeCandidate> edges) implements EdgeDirectory {
        @Override
        public long version() {
            return 1;
        }
    }
}
