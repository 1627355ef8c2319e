package dev.outpost.controlplane;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ControlPlaneConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of the control plane: flags laid over an optional YAML file, then one
 * {@link ControlPlane} until SIGTERM, which stops it gracefully.
 */
@Command(name = "control-plane", mixinStandardHelpOptions = true, sortOptions = false, subcommands = MigrateCommand.class,
        description = {"Outpost control plane: node registry, config distribution, purge fan-out, fleet stats, GeoDNS.",
                "Every flag is also a key of the YAML file given with --config; flags win."},
        footer = {"", "Exit codes: 0 stopped cleanly, 2 bad flags or config, 1 failed to start."})
public final class ControlPlaneMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file")
    Path configFile;
    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "HTTP API address (default 0.0.0.0:7000)")
    String listen;
    @Option(names = "--dns-listen", paramLabel = "HOST:PORT", description = "authoritative DNS address (default 0.0.0.0:53)")
    String dnsListen;
    @Option(names = "--zone", paramLabel = "NAME", description = "the CDN's DNS zone, e.g. cdn.example.test")
    String zone;
    @Option(names = "--geoip", paramLabel = "FILE", description = "MaxMind .mmdb database for client locations")
    String geoip;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "where the store lives (default ./control-plane-data)")
    String dataDir;
    @Option(names = "--token", paramLabel = "TOKEN", description = "bearer token with every scope (read, write, node)")
    String token;
    @Option(names = "--read-token", paramLabel = "TOKEN", description = "bearer token with read scope")
    String readToken;
    @Option(names = "--write-token", paramLabel = "TOKEN", description = "bearer token with read and write scope")
    String writeToken;
    @Option(names = "--node-token", paramLabel = "TOKEN", description = "bearer token for nodes (register, heartbeat, subscribe, ack)")
    String nodeToken;
    @Option(names = "--heartbeat-timeout", paramLabel = "DURATION", description = "node unhealthy after this without heartbeat (default 15s)")
    String heartbeatTimeout;
    @Option(names = "--max-request-body", paramLabel = "SIZE", description = "larger request bodies get 413 (default 1MiB)")
    String maxRequestBody;
    @Option(names = "--store", paramLabel = "rocksdb|etcd", description = "where the state lives: rocksdb (default, embedded, one control plane) or etcd (shared by replicas)")
    String store;
    @Option(names = "--etcd-endpoints", paramLabel = "URL,URL", split = ",", description = "etcd client URLs (repeatable or comma separated)")
    java.util.List<String> etcdEndpoints;
    @Option(names = "--etcd-user", paramLabel = "USER", description = "etcd user (role-based auth; with --etcd-password-file)")
    String etcdUser;
    @Option(names = "--etcd-password-file", paramLabel = "FILE", description = "file whose first line is the etcd user's password")
    String etcdPasswordFile;
    @Option(names = "--etcd-ca", paramLabel = "FILE", description = "PEM CA of the etcd servers (https endpoints)")
    String etcdCa;
    @Option(names = "--etcd-cert", paramLabel = "FILE", description = "PEM client certificate for etcd mutual TLS")
    String etcdCert;
    @Option(names = "--etcd-key", paramLabel = "FILE", description = "PEM (PKCS#8) key of --etcd-cert")
    String etcdKey;
    @Option(names = "--etcd-prefix", paramLabel = "PREFIX", description = "key prefix in etcd (default /outpost/)")
    String etcdPrefix;
    @Option(names = "--etcd-timeout", paramLabel = "DURATION", description = "longest one etcd request may take (default 5s)")
    String etcdTimeout;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        CommandLine cl = new CommandLine(new ControlPlaneMain());
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println(ex.getCommandLine().getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see --help)");
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        Map<String, Object> flags = new LinkedHashMap<>();
        put(flags, "listen", listen);
        put(flags, "dns-listen", dnsListen);
        put(flags, "zone", zone);
        put(flags, "geoip", geoip);
        put(flags, "data-dir", dataDir);
        put(flags, "token", token);
        put(flags, "read-token", readToken);
        put(flags, "write-token", writeToken);
        put(flags, "node-token", nodeToken);
        put(flags, "heartbeat-timeout", heartbeatTimeout);
        put(flags, "max-request-body", maxRequestBody);
        put(flags, "store", store);
        if (etcdEndpoints != null) {
            flags.put("etcd-endpoints", etcdEndpoints);
        }
        put(flags, "etcd-user", etcdUser);
        put(flags, "etcd-password-file", etcdPasswordFile);
        put(flags, "etcd-ca", etcdCa);
        put(flags, "etcd-cert", etcdCert);
        put(flags, "etcd-key", etcdKey);
        put(flags, "etcd-prefix", etcdPrefix);
        put(flags, "etcd-timeout", etcdTimeout);
        ControlPlaneConfig config;
        try {
            config = ControlPlaneConfig.read(configFile, flags);
        } catch (ConfigException e) {
            e.problems().forEach(p -> System.err.println("control-plane: " + p));
            return 2;
        }
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ControlPlane cp;
        try {
            cp = new ControlPlane(config, InstantSource.system(), meters).start();
        } catch (IllegalArgumentException e) {
            System.err.println("control-plane: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("control-plane: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            cp.close();
            stopped.countDown();
        }, "shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static void put(Map<String, Object> flags, String key, String value) {
        if (value != null) {
            flags.put(key, value);
        }
    }
}
