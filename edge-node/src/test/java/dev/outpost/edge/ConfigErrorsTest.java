package dev.outpost.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad config is refused at start, with file, line and key; the node never runs half-configured. */
class ConfigErrorsTest {

    @TempDir
    Path tmp;

    private record Run(int exit, String err) {
    }

    private Run run(String yaml, String... args) throws Exception {
        Path file = tmp.resolve("edge.yaml");
        Files.writeString(file, yaml);
        String[] all = new String[args.length + 6];
        all[0] = "--config";
        all[1] = file.toString();
        all[2] = "--data-dir";
        all[3] = tmp.resolve("data").toString();
        all[4] = "--access-log";
        all[5] = "off";
        System.arraycopy(args, 0, all, 6, args.length);
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = EdgeNodeMain.run(all, InstantSource.system());
            return new Run(exit, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    private String file() {
        return tmp.resolve("edge.yaml").toString();
    }

    @Test
    void unknownKeyNamesFileLineAndKey() throws Exception {
        Run r = run("origin: http://127.0.0.1:9\nlisten: 127.0.0.1:0\ncache:\n  memory-sise: 1MiB\n");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(file() + ":4:3: cache.memory-sise: unknown key 'memory-sise'");
        assertThat(r.err()).contains("memory-size");
    }

    @Test
    void badRegexNamesItsRule() throws Exception {
        Run r = run("""
                origin: http://127.0.0.1:9
                rules:
                  - name: ok
                    match: {path-prefix: /a/}
                  - name: broken
                    match:
                      path-regex: "^/(unclosed"
                """);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(file() + ":7:7: rules[1].match.path-regex: invalid regular expression");
    }

    @Test
    void negativeTtlIsRefused() throws Exception {
        Run r = run("""
                origin: http://127.0.0.1:9
                rules:
                  - match: {path-prefix: /a/}
                    ttl: -5s
                """);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(file() + ":4:5: rules[0].ttl").contains("negative");
    }

    @Test
    void unknownOriginIsRefused() throws Exception {
        Run r = run("""
                origins:
                  - name: default
                    servers: [{url: "http://127.0.0.1:9"}]
                rules:
                  - match: {path-prefix: /img/}
                    origin: images
                """);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(file() + ":6:5: rules[0].origin: unknown origin 'images' (origins: default)");
    }

    @Test
    void portInUseNamesTheListenKey() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Run r = run("origin: http://127.0.0.1:9\nadmin: 127.0.0.1:0\nlisten: 127.0.0.1:" + taken.getLocalPort() + "\n");
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err()).contains(file() + ":3:1: listen: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": ");
        }
    }

    @Test
    void flagErrorsNameTheFlag() throws Exception {
        Run r = run("origin: http://127.0.0.1:9\n", "--listen", "nonsense");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("flag --listen").contains("nonsense");
    }

    @Test
    void badValueTypeIsExplained() throws Exception {
        Run r = run("origin: http://127.0.0.1:9\ncache:\n  disk-size: lots\n");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(file() + ":3:3: cache.disk-size").contains("not a size");
    }

    @Test
    void missingOriginIsRefused() throws Exception {
        Run r = run("listen: 127.0.0.1:0\n");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no origin");
    }

    @Test
    void adminListenerOnAllInterfacesWithoutTokenIsRefusedInOneLine() throws Exception {
        Run r = run("origin: http://127.0.0.1:9\nlisten: 127.0.0.1:0\n", "--admin", "0.0.0.0:0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").startsWith("edge-node: ").contains("--admin-token");
    }
}
