package dev.outpost.controlplane;

import dev.outpost.config.ConfigProblem;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.Durations;
import dev.outpost.controlplane.configs.ConfigVersions;
import dev.outpost.controlplane.purge.PurgeLog;
import dev.outpost.controlplane.store.Store;
import dev.outpost.controlplane.store.StoreMigration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code control-plane migrate}: copies a single control plane's embedded RocksDB state (purge
 * log with its sequence numbers, config versions, node registry) into etcd, so replicas can take
 * over where it stopped. Run it with the old control plane stopped. Tokens are configuration,
 * not state: give the replicas the same token flags or keys.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Copy the embedded store into etcd (stop the control plane first).",
                "Example: control-plane migrate --from rocksdb --data-dir ./cp-data --to etcd --etcd-endpoints http://127.0.0.1:2379"},
        footer = {"", "Exit codes: 0 copied, 2 bad flags, 1 failed (nothing is merged into a non-empty target)."})
final class MigrateCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, paramLabel = "rocksdb", description = "the source store (rocksdb)")
    String from;
    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "the embedded store's directory")
    Path dataDir;
    @Option(names = "--to", required = true, paramLabel = "etcd", description = "the target store (etcd)")
    String to;
    @Option(names = "--etcd-endpoints", required = true, split = ",", paramLabel = "URL,URL", description = "etcd client URLs")
    List<String> etcdEndpoints;
    @Option(names = "--etcd-user", paramLabel = "USER", description = "etcd user")
    String etcdUser;
    @Option(names = "--etcd-password-file", paramLabel = "FILE", description = "file whose first line is the etcd user's password")
    String etcdPasswordFile;
    @Option(names = "--etcd-ca", paramLabel = "FILE", description = "PEM CA of the etcd servers")
    String etcdCa;
    @Option(names = "--etcd-cert", paramLabel = "FILE", description = "PEM client certificate")
    String etcdCert;
    @Option(names = "--etcd-key", paramLabel = "FILE", description = "PEM key of --etcd-cert")
    String etcdKey;
    @Option(names = "--etcd-prefix", paramLabel = "PREFIX", description = "key prefix in etcd (default /outpost/)")
    String etcdPrefix;
    @Option(names = "--etcd-timeout", paramLabel = "DURATION", description = "longest one etcd request may take (default 5s)")
    String etcdTimeout;

    @Override
    public Integer call() {
        if (!"rocksdb".equals(from) || !"etcd".equals(to)) {
            System.err.println("control-plane migrate: only --from rocksdb --to etcd is supported");
            return 2;
        }
        if (!Files.exists(dataDir.resolve("CURRENT"))) {
            System.err.println("control-plane migrate: --data-dir " + dataDir + " holds no control-plane store");
            return 2;
        }
        ControlPlaneConfig target;
        try {
            target = new ControlPlaneConfig(null, null, null, null, dataDir.toString(), null, null, null, null, null, null,
                    null, null, null, null, null, "etcd", etcdEndpoints, etcdUser, etcdPasswordFile, etcdCa, etcdCert,
                    etcdKey, etcdPrefix, etcdTimeout == null ? null : Durations.parse(etcdTimeout), null);
        } catch (RuntimeException e) {
            System.err.println("control-plane migrate: --etcd-timeout: " + e.getMessage());
            return 2;
        }
        List<ConfigProblem> problems = target.problems().stream()
                .filter(p -> p.path().startsWith("etcd") || p.path().equals("store")).toList();
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("control-plane migrate: " + p));
            return 2;
        }
        try (Store source = Store.rocksdb(dataDir); Store etcd = Store.open(target)) {
            StoreMigration.Copied c = StoreMigration.copy(source, etcd, List.of(ConfigVersions.LOG_NAME, PurgeLog.LOG_NAME));
            System.out.println("copied " + c.entries().get(ConfigVersions.LOG_NAME) + " config versions, "
                    + c.entries().get(PurgeLog.LOG_NAME) + " purges (sequences kept) and " + c.keys()
                    + " registry keys to etcd under " + target.etcdPrefix());
            return 0;
        } catch (RuntimeException e) {
            System.err.println("control-plane migrate: " + e.getMessage());
            return 1;
        }
    }
}
