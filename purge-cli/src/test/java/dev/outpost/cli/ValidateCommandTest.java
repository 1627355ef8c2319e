package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outpost config validate} checks whatever config it is given: every example of the
 * project and every config file of deploy is valid, detected as its kind, and a broken file
 * gets all its problems in one run.
 */
class ValidateCommandTest {

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = OutpostCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), dir);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Path repo() {
        return Files.isDirectory(Path.of("../config/examples")) ? Path.of("..") : Path.of(".");
    }

    /** Every config file the project ships: config/examples and deploy's config files. */
    private static List<Path> shipped() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String d : List.of("config/examples", "deploy/systemd")) {
            try (Stream<Path> s = Files.list(repo().resolve(d))) {
                s.filter(p -> p.toString().matches(".*\\.(ya?ml|json)$")).sorted().forEach(files::add);
            }
        }
        return files;
    }

    private static String expectedKind(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith("delivery") ? "delivery" : name.startsWith("control-plane") ? "control-plane" : "node";
    }

    @Test
    void everyShippedConfigIsValidAndDetectedAsItsKind() throws Exception {
        List<Path> files = shipped();
        assertThat(files).extracting(p -> p.getFileName().toString())
                .contains("edge.yaml", "delivery.yaml", "control-plane.yaml");
        for (Path f : files) {
            if (Files.readString(f).contains("The tokens are not here")) {
                // the systemd unit passes the control plane's tokens as flags from its env file:
                // the file alone lacks them, and that must be its only problem
                Run r = cli("config", "validate", f.toString());
                assertThat(r.err().lines().toList()).as(f.toString()).hasSize(2);
                assertThat(r.err()).contains("token: no token").contains("1 problem, not a valid control-plane config");
                continue;
            }
            Run r = cli("config", "validate", f.toString());
            assertThat(r.code()).as(f + ": " + r.err()).isZero();
            assertThat(r.out()).as(f.toString()).contains(": valid " + expectedKind(f) + " config (detected");
            Run named = cli("config", "validate", "--kind", expectedKind(f), f.toString());
            assertThat(named.code()).as(f + " --kind " + expectedKind(f) + ": " + named.err()).isZero();
            assertThat(named.out()).contains(": valid " + expectedKind(f) + " config\n");
        }
    }

    @Test
    void everyProblemIsReportedAtOnceWithFileLineColumnAndKey() throws Exception {
        Path f = dir.resolve("edge.yaml");
        Files.writeString(f, """
                listen: 127.0.0.1:8080
                admin: nowhere
                cache:
                  memory-size: lots
                limits:
                  max-headers: many
                origins:
                  - name: default
                    servers: [{url: "http://origin.example.test"}]
                rules:
                  - match: {path-regex: "(["}
                    ttl: soon
                """);
        Run r = cli("config", "validate", f.toString());
        assertThat(r.code()).isEqualTo(OutpostCli.EXIT_ERROR);
        List<String> lines = r.err().lines().toList();
        assertThat(lines).as(r.err()).hasSize(6);
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("outpost: " + f + ":2:1: admin: invalid value 'nowhere'"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("outpost: " + f + ":4:3: cache.memory-size: invalid value 'lots'"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("outpost: " + f + ":6:3: limits.max-headers: invalid value 'many'"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("outpost: " + f + ":12:5: rules[0].ttl: invalid value 'soon'"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("outpost: " + f + ":11:13: rules[0].match.path-regex: invalid regular"));
        assertThat(lines.getLast()).isEqualTo("outpost: " + f + ": 5 problems, not a valid node config (detected from its keys; --kind to choose)");
    }

    @Test
    void theKindCanBeNamedAndAWrongOneSaysWhichKeysDoNotBelong() throws Exception {
        Path edge = repo().resolve("config/examples/edge.yaml");
        Run asDelivery = cli("config", "validate", "--kind", "delivery", edge.toString());
        assertThat(asDelivery.code()).isEqualTo(OutpostCli.EXIT_ERROR);
        assertThat(asDelivery.err()).contains("unknown key 'node-id'").contains("unknown key 'listen'")
                .contains("not a valid delivery config");
        Run badKind = cli("config", "validate", "--kind", "edge", edge.toString());
        assertThat(badKind.code()).isEqualTo(OutpostCli.EXIT_USAGE);
        assertThat(badKind.err().lines().toList()).hasSize(1);
        assertThat(badKind.err()).contains("unknown config kind 'edge' (node, control-plane or delivery)");
    }

    @Test
    void aControlPlaneFileIsCheckedAsOne() throws Exception {
        Path f = dir.resolve("cp.yaml");
        Files.writeString(f, "listen: 127.0.0.1:7000\nzone: cdn.example.test\nheartbeat-timeout: soon\n");
        Run r = cli("config", "validate", f.toString());
        assertThat(r.code()).isEqualTo(OutpostCli.EXIT_ERROR);
        assertThat(r.err()).contains(f + ":3:1: heartbeat-timeout: invalid value 'soon'")
                .contains("token: no token").contains("not a valid control-plane config");
    }
}
