package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/docker/*.Dockerfile: a JRE 25 base (a JDK for the single-file sample origin), a
 * non-root user, a health check on the service's real admin listener, the jar the build really
 * produces, native access for RocksDB, and EXPOSE matching the listeners of the default command.
 */
class DockerfilesTest {

    private static final Pattern LOCAL_URL = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)(/\\S*)");

    /** A Dockerfile's instructions in order, continuation lines joined. */
    record Dockerfile(Path path, List<Map.Entry<String, String>> instructions) {
        List<String> all(String keyword) {
            return instructions.stream().filter(e -> e.getKey().equals(keyword)).map(Map.Entry::getValue).toList();
        }

        String last(String keyword) {
            List<String> a = all(keyword);
            return a.isEmpty() ? null : a.getLast();
        }

        String service() {
            return path.getFileName().toString().replace(".Dockerfile", "");
        }

        List<String> jsonArray(String keyword) {
            try {
                return List.of(DeployFiles.JSON.readValue(last(keyword), String[].class));
            } catch (JsonProcessingException e) {
                throw new AssertionError(keyword + " of " + path + " is not an exec-form JSON array: " + last(keyword));
            }
        }
    }

    static Stream<Path> dockerfiles() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DeployFiles.deploy().resolve("docker"))) {
            files = s.filter(p -> p.toString().endsWith(".Dockerfile")).sorted().toList();
        }
        assertThat(files.stream().map(p -> p.getFileName().toString()))
                .contains("edge-node.Dockerfile", "control-plane.Dockerfile", "purge-cli.Dockerfile");
        return files.stream();
    }

    static Dockerfile parse(Path path) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : DeployFiles.read(path).split("\n")) {
            String t = line.strip();
            if (current.isEmpty() && (t.isEmpty() || t.startsWith("#"))) {
                continue;
            }
            if (t.startsWith("#")) {
                continue;
            }
            if (t.endsWith("\\")) {
                current.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            current.append(t);
            String instruction = current.toString().strip();
            int space = instruction.indexOf(' ');
            out.add(Map.entry(instruction.substring(0, space).toUpperCase(), instruction.substring(space + 1).strip()));
            current.setLength(0);
        }
        return new Dockerfile(path, out);
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void temurin25BaseNonRootUserAndHealthCheck(Path path) {
        Dockerfile d = parse(path);
        assertThat(d.all("FROM")).hasSize(1);
        String base = d.last("FROM");
        assertThat(base).startsWith("eclipse-temurin:25-");
        if (!d.service().equals("sample-origin")) {
            assertThat(base).as("runtime image is a JRE").isEqualTo("eclipse-temurin:25-jre");
        }
        String user = d.last("USER");
        assertThat(user).as("USER of %s", path).isNotNull();
        assertThat(user.split(":")[0]).isNotIn("root", "0");
        assertThat(d.instructions().getLast().getKey()).isIn("CMD", "ENTRYPOINT");
        String health = d.last("HEALTHCHECK");
        assertThat(health).as("HEALTHCHECK of %s", path).isNotNull();
        if (health.equals("NONE")) {
            assertThat(d.service()).as("only the CLI, which runs and exits, has no health check").isEqualTo("purge-cli");
        } else {
            assertThat(health).contains("CMD").containsPattern("--interval=\\d+s").containsPattern("--timeout=\\d+s");
        }
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void copiesWhatTheBuildProducesAndTheIgnoreFileLetsThrough(Path path) {
        Dockerfile d = parse(path);
        Path ignore = path.resolveSibling(path.getFileName() + ".dockerignore");
        assertThat(ignore).as("context filter of %s", path).isRegularFile();
        Set<String> allowed = new HashSet<>();
        for (String line : DeployFiles.read(ignore).split("\n")) {
            if (line.startsWith("!")) {
                allowed.add(line.substring(1).strip());
            }
        }
        assertThat(d.all("COPY")).isNotEmpty();
        for (String copy : d.all("COPY")) {
            String[] parts = copy.split("\\s+");
            String source = parts[0];
            Matcher jar = Pattern.compile("([a-z-]+)/target/([a-z-]+)\\.jar").matcher(source);
            if (jar.matches()) {
                assertThat(jar.group(1)).isEqualTo(jar.group(2));
                Path pom = DeployFiles.repo().resolve(jar.group(1)).resolve("pom.xml");
                assertThat(pom).as("module of %s", source).isRegularFile();
                assertThat(DeployFiles.read(pom)).as("%s builds a runnable jar", jar.group(1))
                        .contains("maven-shade-plugin").contains("outpost.main.class");
                List<String> entrypoint = d.jsonArray("ENTRYPOINT");
                assertThat(entrypoint).contains("--enable-native-access=ALL-UNNAMED", "-jar", parts[1]);
            } else {
                assertThat(DeployFiles.repo().resolve(source)).as("COPY source of %s", path).isRegularFile();
            }
            assertThat(allowed).as("%s lets %s into the build context", ignore.getFileName(), source).contains(source);
        }
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void exposedPortsAreTheDefaultCommandsListeners(Path path) {
        Dockerfile d = parse(path);
        Set<String> exposed = new HashSet<>();
        d.all("EXPOSE").forEach(e -> exposed.addAll(List.of(e.split("\\s+"))));
        String health = d.last("HEALTHCHECK");
        Matcher url = LOCAL_URL.matcher(health == null ? "" : health);
        Map<String, Object> flags = d.service().equals("purge-cli") ? Map.of()
                : DeployFiles.flags(d.jsonArray("CMD"));
        switch (d.service()) {
            case "edge-node" -> {
                NodeConfig node = OutpostFlags.node(withOrigin(flags));
                assertThat(exposed).containsExactlyInAnyOrder("" + node.listen().port(), "" + node.admin().port());
                assertThat(url.find()).isTrue();
                assertThat(Integer.parseInt(url.group(1))).isEqualTo(node.admin().port());
                assertThat(url.group(2)).isEqualTo("/healthz");
                assertThat(d.all("VOLUME").toString()).contains(node.dataDir());
            }
            case "control-plane" -> {
                ControlPlaneConfig cp = OutpostFlags.controlPlane(flags);
                int dns = cp.dnsListen().port();
                assertThat(exposed).containsExactlyInAnyOrder("" + cp.listen().port(), dns + "/udp", dns + "/tcp");
                assertThat(url.find()).isTrue();
                assertThat(Integer.parseInt(url.group(1))).isEqualTo(cp.listen().port());
                assertThat(d.all("VOLUME").toString()).contains(cp.dataDir());
            }
            case "sample-origin" -> {
                int port = DeployFiles.port(String.valueOf(flags.get("listen")));
                assertThat(exposed).containsExactly("" + port);
                assertThat(url.find()).isTrue();
                assertThat(Integer.parseInt(url.group(1))).isEqualTo(port);
            }
            case "purge-cli" -> assertThat(exposed).isEmpty();
            default -> throw new AssertionError("a Dockerfile this test does not know: " + path);
        }
    }

    /**
     * The image's default command leaves the origin and the admin token to the operator (its
     * admin listener is on all interfaces, where POST /purge must need a token, and the node
     * refuses to start without one): add both to validate the rest.
     */
    private static Map<String, Object> withOrigin(Map<String, Object> flags) {
        Map<String, Object> f = new LinkedHashMap<>(flags);
        f.putIfAbsent("origin", "http://origin.example:9000");
        Map<String, Object> noToken = new LinkedHashMap<>(f);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OutpostFlags.node(noToken))
                .as("the default command without --admin-token is refused").hasMessageContaining("--admin-token");
        f.putIfAbsent("admin-token", "from-the-operator");
        return f;
    }
}
