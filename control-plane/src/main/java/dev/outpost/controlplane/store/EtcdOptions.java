package dev.outpost.controlplane.store;

import dev.outpost.config.ControlPlaneConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How to reach etcd: client URLs, optional user and password (read from a file, never a flag),
 * optional TLS (CA, client certificate and key as PEM files), the key prefix and the timeout of
 * one request.
 */
record EtcdOptions(List<String> endpoints, String user, String password, Path ca, Path cert, Path key,
                   String prefix, Duration timeout) {

    static EtcdOptions of(ControlPlaneConfig c) {
        String password = null;
        if (c.etcdPasswordFile() != null) {
            try {
                password = Files.readAllLines(Path.of(c.etcdPasswordFile()), StandardCharsets.UTF_8).stream()
                        .findFirst().orElse("").strip();
            } catch (IOException e) {
                throw new UncheckedIOException("etcd-password-file: cannot read " + c.etcdPasswordFile(), e);
            }
        }
        return new EtcdOptions(c.etcdEndpoints(), c.etcdUser(), password, path(c.etcdCa()), path(c.etcdCert()),
                path(c.etcdKey()), c.etcdPrefix(), c.etcdTimeout());
    }

    /** Plain connection to {@code endpoints} under {@code prefix} (tests, migration). */
    static EtcdOptions plain(List<String> endpoints, String prefix) {
        return new EtcdOptions(endpoints, null, null, null, null, null, prefix, Duration.ofSeconds(5));
    }

    private static Path path(String s) {
        return s == null ? null : Path.of(s);
    }
}
