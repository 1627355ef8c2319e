package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every shell script under deploy/ and bin/, and mvnw, passes shellcheck (installed from
 * Debian's package when the tests run as root and it is missing), and the fleet script's usage
 * errors are one line and a non-zero exit.
 */
class ShellScriptsTest {

    private static String shellcheck;

    @BeforeAll
    static void findShellcheck() {
        shellcheck = DeployFiles.which("shellcheck");
        if (shellcheck == null && "root".equals(System.getProperty("user.name")) && DeployFiles.which("apt-get") != null) {
            System.out.println("shellcheck missing: installing Debian's package");
            DeployFiles.run(Duration.ofMinutes(5), List.of("sh", "-c",
                    "apt-get install -y -qq shellcheck >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq shellcheck)"));
            shellcheck = DeployFiles.which("shellcheck");
        }
    }

    static List<Path> scripts() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(DeployFiles.deploy())) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String rel = DeployFiles.deploy().relativize(p).toString();
                if (rel.startsWith("target") || rel.startsWith("src") || rel.startsWith("local/run")) {
                    continue;
                }
                if (p.toString().endsWith(".sh") || firstLine(p).matches("#!.*\\b(sh|bash|dash)\\b.*")) {
                    out.add(p);
                }
            }
        }
        try (Stream<Path> files = Files.list(DeployFiles.repo().resolve("bin"))) {
            files.filter(Files::isRegularFile).filter(p -> firstLine(p).matches("#!.*\\b(sh|bash|dash)\\b.*")).forEach(out::add);
        }
        out.add(DeployFiles.repo().resolve("mvnw"));
        return out;
    }

    private static String firstLine(Path p) {
        try (var lines = Files.lines(p)) {
            return lines.findFirst().orElse("");
        } catch (IOException | java.io.UncheckedIOException e) {
            return ""; // binary files
        }
    }

    @Test
    void everyScriptPassesShellcheck() throws IOException {
        List<Path> scripts = scripts();
        assertThat(scripts.stream().map(p -> p.getFileName().toString())).contains("fleet", "purge-cli", "edge-node",
                "control-plane", "outpost", "launch-jar", "jdk25-home", "try-edge", "mvnw");
        for (Path script : scripts) {
            assertThat(Files.isExecutable(script)).as("%s is executable", script).isTrue();
        }
        Assumptions.assumeTrue(shellcheck != null,
                "shellcheck is not installed and cannot be (not root): install Debian's package shellcheck");
        List<String> cmd = new ArrayList<>(List.of(shellcheck, "--external-sources", "--severity=style"));
        scripts.forEach(s -> cmd.add(s.toString()));
        var result = DeployFiles.run(Duration.ofMinutes(2), cmd);
        assertThat(result.exit()).as("shellcheck found problems:\n%s", result.all()).isZero();
    }

    @Test
    void fleetUsageErrorsAreOneLineAndNonZero() {
        String fleet = DeployFiles.deploy().resolve("local/fleet").toString();
        var help = DeployFiles.run(Duration.ofSeconds(30), List.of(fleet, "help"));
        assertThat(help.exit()).isZero();
        assertThat(help.stdout()).contains("up", "down", "status", "--foreground");
        var unknown = DeployFiles.run(Duration.ofSeconds(30), List.of(fleet, "launch"));
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.stderr().strip()).doesNotContain("\n").contains("unknown command 'launch'");
        var none = DeployFiles.run(Duration.ofSeconds(30), List.of(fleet));
        assertThat(none.exit()).isEqualTo(2);
    }
}
