package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Await;
import dev.outpost.testing.Ports;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ways into Outpost from a shell: the launchers (bin/edge-node, bin/control-plane,
 * bin/outpost) find JDK 25 whatever JAVA_HOME says and run the jars with native access; without
 * a JDK 25 the one-line hint names steps that work; bin/try-edge says why a process did not
 * start; a plain {@code mvn} on an older JDK starts in this repository and says to use ./mvnw.
 */
class LaunchersTest {

    @TempDir
    Path tmp;

    private static Path bin(String name) {
        return DeployFiles.repo().resolve("bin").resolve(name);
    }

    /** A JDK older than 25 on this machine (Debian's default java is 17), or null. */
    private static Path olderJdk() {
        try (Stream<Path> homes = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path home : homes.toList()) {
                Path release = home.resolve("release");
                if (Files.isExecutable(home.resolve("bin/java")) && Files.isRegularFile(release)) {
                    var m = Pattern.compile("JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
                    if (m.find() && Integer.parseInt(m.group(1)) < 25) {
                        return home;
                    }
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private Map<String, String> withOlderJavaHome() {
        Map<String, String> env = new HashMap<>();
        Path older = olderJdk();
        if (older != null) {
            env.put("JAVA_HOME", older.toString());
        }
        return env;
    }

    @Test
    void launchersRunEachJarOnJdk25WhateverJavaHomeSays() {
        for (String launcher : List.of("edge-node", "control-plane", "outpost")) {
            var r = DeployFiles.run(Duration.ofMinutes(2), withOlderJavaHome(), null, List.of(bin(launcher).toString(), "--help"));
            assertThat(r.exit()).as("%s --help\n%s", launcher, r).isZero();
            assertThat(r.all()).as(launcher).doesNotContain("UnsupportedClassVersionError").contains("Usage:");
        }
    }

    @Test
    void theEdgeLauncherStartsANodeWithNativeAccessForRocksDb() throws Exception {
        int port = Ports.free();
        int admin = Ports.free();
        Path log = tmp.resolve("edge.log");
        Process p = new ProcessBuilder(bin("edge-node").toString(), "--origin", "http://127.0.0.1:9", "--listen",
                "127.0.0.1:" + port, "--admin", "127.0.0.1:" + admin, "--data-dir", tmp.resolve("data").toString(),
                "--access-log", "off").redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        p.getOutputStream().close();
        try {
            HttpClient http = HttpClient.newHttpClient();
            Await.until("the launched edge answers /healthz", Duration.ofSeconds(120), () -> {
                assertThat(p.isAlive()).as("edge running; its output:\n%s", read(log)).isTrue();
                try {
                    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/healthz")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            assertThat(p.info().command().orElse("")).as("the launcher exec'd java: signals reach the node").endsWith("/java");
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        // RocksDB's JNI library loaded without the JDK's warning about restricted methods
        assertThat(read(log)).doesNotContain("restricted method", "--enable-native-access", "UnsupportedClassVersionError");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Test
    void withoutJdk25TheHintIsOneLineWithStepsThatWork() {
        Map<String, String> env = new HashMap<>();
        env.put("OUTPOST_JDK_DIRS", tmp.toString());
        env.put("JAVA_HOME", "");
        env.put("OUTPOST_JAVA_HOME", "");
        env.put("PATH", "/usr/bin:/bin");
        var probe = DeployFiles.run(Duration.ofSeconds(30), env, null, List.of("sh", "-c", "command -v java || true"));
        String javaOnPath = probe.stdout().strip();
        Assumptions.assumeTrue(javaOnPath.isEmpty() || javaVersionOf(javaOnPath) < 25, "the java on PATH is a JDK 25: nothing to hint");
        var r = DeployFiles.run(Duration.ofSeconds(30), env, null, List.of(bin("jdk25-home").toString()));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr().strip()).doesNotContain("\n").contains("Adoptium").contains("temurin-25-jdk")
                .contains("tarball").contains("JAVA_HOME").contains("README.md");
        String readme = DeployFiles.read(DeployFiles.repo().resolve("README.md"));
        assertThat(readme).contains("### Installing JDK 25").contains("packages.adoptium.net").contains("tar.gz");
        // ./mvnw gives the same hint
        var mvnw = DeployFiles.run(Duration.ofSeconds(30), env, DeployFiles.repo().toFile(),
                List.of(DeployFiles.repo().resolve("mvnw").toString(), "-v"));
        assertThat(mvnw.exit()).isNotZero();
        assertThat(mvnw.stderr().strip()).isEqualTo(r.stderr().strip());
    }

    private static int javaVersionOf(String java) {
        var r = DeployFiles.run(Duration.ofSeconds(30), List.of(java, "-XshowSettings:properties", "-version"));
        var m = Pattern.compile("java\\.specification\\.version = (\\d+)").matcher(r.all());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    @Test
    void tryEdgeNamesTheTakenPortAndTheSettingThatMovesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Map<String, String> env = new HashMap<>();
            env.put("TRY_EDGE_PORT", String.valueOf(taken.getLocalPort()));
            env.put("TRY_EDGE_ADMIN_PORT", String.valueOf(Ports.free()));
            env.put("TRY_EDGE_ORIGIN_PORT", String.valueOf(Ports.free()));
            env.put("TRY_EDGE_DATA", tmp.resolve("try").toString());
            var r = DeployFiles.run(Duration.ofMinutes(3), env, null, List.of(bin("try-edge").toString()));
            assertThat(r.exit()).as("%s", r).isEqualTo(1);
            assertThat(r.stderr()).as("%s", r).contains("the edge node exited while starting")
                    .contains("cannot listen").contains("127.0.0.1:" + taken.getLocalPort())
                    .contains("(port " + taken.getLocalPort() + "); choose another with TRY_EDGE_PORT=PORT")
                    .doesNotContain("a process exited; see");
        }
    }

    @Test
    void plainMavenOnAnOlderJdkStartsAndPointsToTheWrapper() {
        Path older = olderJdk();
        Assumptions.assumeTrue(older != null, "no JDK older than 25 here");
        // every option of .mvn/jvm.config, which any mvn reads, is one the older JDK knows
        List<String> cmd = new ArrayList<>(List.of(older.resolve("bin/java").toString()));
        for (String option : DeployFiles.read(DeployFiles.repo().resolve(".mvn/jvm.config")).split("\\s+")) {
            if (!option.isBlank()) {
                cmd.add(option);
            }
        }
        cmd.add("-version");
        var started = DeployFiles.run(Duration.ofSeconds(30), cmd);
        assertThat(started.exit()).as(".mvn/jvm.config on %s\n%s", older, started).isZero();
        Path mvn = Path.of("/usr/bin/mvn");
        Assumptions.assumeTrue(Files.isExecutable(mvn), "no mvn installed: jvm.config checked with java alone");
        // the JVM starts, and the build says in so many words to use ./mvnw
        // MAVEN_OPTS emptied: ./mvnw, which runs these tests, exports its own for JDK 25
        var v = DeployFiles.run(Duration.ofMinutes(3), Map.of("JAVA_HOME", older.toString(), "MAVEN_OPTS", ""),
                DeployFiles.repo().toFile(),
                List.of(mvn.toString(), "-B", "-N", "validate"));
        assertThat(v.all()).as("mvn validate on %s\n%s", older, v).doesNotContain("Unrecognized option")
                .doesNotContain("Could not create the Java Virtual Machine")
                .contains("Outpost builds with Maven on JDK 25: run ./mvnw");
        assertThat(v.exit()).isNotZero();
    }
}
