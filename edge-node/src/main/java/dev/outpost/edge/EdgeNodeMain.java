package dev.outpost.edge;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * Entry point of an edge or shield node. Every option is also a key of the YAML file given
 * with {@code --config} (nested keys are dotted: {@code --cache.memory-size}); options win
 * over the file.
 */
@Command(name = "edge-node", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        versionProvider = EdgeNodeMain.Version.class,
        description = {"Outpost edge node: a caching reverse proxy (memory over disk) in front of origins,",
                "running as an edge or as an origin shield.", "",
                "Standalone:  edge-node --origin http://127.0.0.1:9000 --listen 127.0.0.1:8080 --admin 127.0.0.1:9080 --data-dir ./data",
                "In a fleet:  edge-node --config edge.yaml --control-plane http://cp:7000 --token T --node-id edge-1 ...", ""},
        footer = {"", "Every option is also a key of the YAML config (same name; dotted names nest). Options win over the file.",
                "Exit codes: 0 stopped cleanly, 2 invalid config or arguments, 1 failed to start."})
public final class EdgeNodeMain {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML (or JSON) config file")
    Path config;

    @Option(names = "--node-id", paramLabel = "ID", description = "node name; the cache id in Cache-Status (default: host name)")
    String nodeId;

    @Option(names = "--role", paramLabel = "edge|shield", description = "edge (default) or shield")
    String role;

    @Option(names = "--region", paramLabel = "NAME", description = "region name, e.g. eu-west")
    String region;

    @Option(names = "--coordinates", paramLabel = "LAT,LON", description = "where the node is, for DNS steering")
    String coordinates;

    @Option(names = "--public-address", paramLabel = "HOST", description = "address clients reach this node at")
    String publicAddress;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "client listener, HTTP/1.1 and h2c (default 0.0.0.0:8080)")
    String listen;

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "admin listener: /healthz /metrics /stats /purge (default 127.0.0.1:9080)")
    String admin;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "disk tier and node state (default ./data)")
    String dataDir;

    @Option(names = "--origin", paramLabel = "URL", description = "origin server: shorthand for an origin 'default' with one server")
    String origin;

    @Option(names = "--shield", paramLabel = "URL", description = "a shield to send misses to (repeatable)")
    List<String> shield;

    @Option(names = "--origin-fallback", paramLabel = "true|false", description = "fetch from the origin when every shield is down (default true)")
    String originFallback;

    @Option(names = "--control-plane", paramLabel = "URL", split = ",",
            description = "control plane; repeat it (or separate URLs by commas) for replicas; absent means standalone")
    List<String> controlPlane;

    @Option(names = "--token", paramLabel = "TOKEN", description = "bearer token for the control plane")
    String token;

    @Option(names = "--admin-token", paramLabel = "TOKEN", description = "bearer token required by POST /purge on the admin listener")
    String adminToken;

    @Option(names = "--trusted-proxies", paramLabel = "CIDR", split = ",", description = "networks whose X-Forwarded-For is believed")
    List<String> trustedProxies;

    @Option(names = "--http2", paramLabel = "true|false", description = "HTTP/2: h2c (prior knowledge and upgrade) and h2 over TLS (default true)")
    String http2;

    @Option(names = "--access-log", paramLabel = "stdout|off|FILE", description = "JSON access log destination (default stdout)")
    String accessLog;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", description = "heartbeat period to the control plane (default 5s)")
    String heartbeatInterval;

    @Option(names = "--disconnected-bound", paramLabel = "DURATION", description = "cut off this long, disconnected-policy applies (default 5m)")
    String disconnectedBound;

    @Option(names = "--disconnected-policy", paramLabel = "serve|revalidate", description = "what hits do when cut off too long (default serve)")
    String disconnectedPolicy;

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", description = "time to finish requests on SIGTERM (default 10s)")
    String shutdownGrace;

    @Option(names = "--cache.memory-size", paramLabel = "SIZE", description = "memory tier bound (default 256MiB)")
    String memorySize;

    @Option(names = "--cache.memory-max-object", paramLabel = "SIZE", description = "larger objects skip memory (default 4MiB)")
    String memoryMaxObject;

    @Option(names = "--cache.disk-size", paramLabel = "SIZE", description = "disk tier bound; 0 disables it (default 10GiB)")
    String diskSize;

    @Option(names = "--cache.disk-max-object", paramLabel = "SIZE", description = "larger objects are not stored (default 4GiB)")
    String diskMaxObject;

    @Option(names = "--cache.chunk-size", paramLabel = "SIZE", description = "stored body chunk size (default 256KiB)")
    String chunkSize;

    @Option(names = "--limits.max-connections-per-client", paramLabel = "N", description = "concurrent connections from one address (default 512)")
    String maxConnectionsPerClient;

    @Option(names = "--limits.max-request-body", paramLabel = "SIZE", description = "larger request bodies get 413 (default 10MiB)")
    String maxRequestBody;

    @Option(names = "--limits.idle-timeout", paramLabel = "DURATION", description = "idle keep-alive connections close after this (default 60s)")
    String idleTimeout;

    @Option(names = "--limits.header-timeout", paramLabel = "DURATION", description = "time allowed to send a request head (default 10s)")
    String headerTimeout;

    @Option(names = "--tls.listen", paramLabel = "HOST:PORT", description = "TLS listener (h2 and HTTP/1.1)")
    String tlsListen;

    @Option(names = "--tls.certificate", paramLabel = "FILE", description = "PEM certificate chain")
    String tlsCertificate;

    @Option(names = "--tls.private-key", paramLabel = "FILE", description = "PEM private key")
    String tlsPrivateKey;

    public static void main(String[] args) {
        System.exit(run(args, InstantSource.system()));
    }

    static int run(String[] args, InstantSource clock) {
        EdgeNodeMain main = new EdgeNodeMain();
        CommandLine cmd = new CommandLine(main);
        CommandLine.ParseResult parsed;
        try {
            parsed = cmd.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("edge-node: " + e.getMessage() + " (see --help)");
            return 2;
        }
        if (cmd.isUsageHelpRequested()) {
            cmd.usage(System.out);
            return 0;
        }
        if (cmd.isVersionHelpRequested()) {
            cmd.printVersionHelp(System.out);
            return 0;
        }
        Map<String, Object> flags = new LinkedHashMap<>();
        for (OptionSpec o : parsed.matchedOptions()) {
            String key = o.longestName().substring(2);
            if (!key.equals("config") && !key.equals("help") && !key.equals("version")) {
                flags.put(key, o.getValue());
            }
        }
        ConfigReader.Loaded<NodeConfig> loaded;
        try {
            loaded = ConfigReader.node().read(main.config, flags);
        } catch (ConfigException e) {
            e.problems().forEach(p -> System.err.println("edge-node: " + p));
            return 2;
        }
        EdgeNode node;
        try {
            node = EdgeNode.start(loaded.value(), loaded.source(), clock);
        } catch (ConfigException e) {
            e.problems().forEach(p -> System.err.println("edge-node: " + p));
            return 2;
        } catch (IOException | RuntimeException e) {
            System.err.println("edge-node: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = EdgeNodeMain.class.getPackage().getImplementationVersion();
            return new String[] {"edge-node " + (v == null ? "dev" : v)};
        }
    }
}
