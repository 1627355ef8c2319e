package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/systemd: the units run the launcher (bin/edge-node, bin/control-plane: JDK 25 and the
 * native-access option) with the example config, which the real config reader accepts, and
 * tokens from a required EnvironmentFile, never from the config; they carry the hardening
 * options, may write only the data and log directories, and the data directory of the config is
 * one of them. systemd-analyze verifies them where it is installed.
 */
class SystemdUnitsTest {

    private static final Path DIR = DeployFiles.deploy().resolve("systemd");

    private static final Map<String, String> HARDENING = Map.ofEntries(
            Map.entry("NoNewPrivileges", "yes"),
            Map.entry("ProtectSystem", "strict"),
            Map.entry("ProtectHome", "yes"),
            Map.entry("PrivateTmp", "yes"),
            Map.entry("PrivateDevices", "yes"),
            Map.entry("ProtectKernelTunables", "yes"),
            Map.entry("ProtectKernelModules", "yes"),
            Map.entry("ProtectControlGroups", "yes"),
            Map.entry("RestrictSUIDSGID", "yes"),
            Map.entry("RestrictNamespaces", "yes"),
            Map.entry("LockPersonality", "yes"),
            Map.entry("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"),
            Map.entry("SystemCallArchitectures", "native"));

    /** key -> values (a key may repeat) of one section of a unit file. */
    static Map<String, List<String>> section(Path unit, String name) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String current = null;
        for (String line : DeployFiles.read(unit).split("\n")) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#") || t.startsWith(";")) {
                continue;
            }
            if (t.startsWith("[")) {
                current = t.substring(1, t.length() - 1);
                continue;
            }
            if (name.equals(current)) {
                int eq = t.indexOf('=');
                assertThat(eq).as("%s: '%s' is KEY=VALUE", unit.getFileName(), t).isPositive();
                out.computeIfAbsent(t.substring(0, eq), k -> new ArrayList<>()).add(t.substring(eq + 1));
            }
        }
        return out;
    }

    private static String one(Map<String, List<String>> section, String key) {
        List<String> v = section.get(key);
        assertThat(v).as(key).isNotNull().hasSize(1);
        return v.getFirst();
    }

    @Test
    void edgeUnitRunsTheJarWithAConfigTheNodeAccepts() {
        Path unit = DIR.resolve("outpost-edge.service");
        Map<String, List<String>> service = section(unit, "Service");
        String exec = one(service, "ExecStart");
        assertThat(exec).startsWith("/opt/outpost/bin/edge-node ");
        NodeConfig node = ConfigReader.node().read(DIR.resolve(configOf(exec)), tokenFlags(unit, service, exec)).value();
        assertThat(node.adminToken()).as("POST /purge needs a token").isNotBlank();
        assertThat(one(service, "ReadWritePaths").split("\\s+")).contains(node.dataDir());
        assertThat(node.dataDir()).isEqualTo("/var/lib/" + one(service, "StateDirectory"));
        assertThat(node.accessLog()).startsWith("/var/log/" + one(service, "LogsDirectory") + "/");
        assertThat(node.controlPlane()).isNotNull();
        assertHardened(unit, service);
    }

    @Test
    void controlPlaneUnitRunsTheJarWithAConfigTheControlPlaneAccepts() {
        Path unit = DIR.resolve("outpost-control-plane.service");
        Map<String, List<String>> service = section(unit, "Service");
        String exec = one(service, "ExecStart");
        assertThat(exec).startsWith("/opt/outpost/bin/control-plane ");
        ControlPlaneConfig cp = new ConfigReader<>(ControlPlaneConfig.class, c -> List.of())
                .read(DIR.resolve(configOf(exec)), tokenFlags(unit, service, exec)).value();
        assertThat(one(service, "ReadWritePaths").split("\\s+")).contains(cp.dataDir());
        assertThat(cp.dataDir()).isEqualTo("/var/lib/" + one(service, "StateDirectory"));
        assertThat(cp.dnsListen().port()).as("DNS on 53 needs the bind capability").isEqualTo(53);
        assertThat(one(service, "AmbientCapabilities")).isEqualTo("CAP_NET_BIND_SERVICE");
        assertHardened(unit, service);
    }

    /**
     * The token flags of ExecStart ({@code --token ${OUTPOST_TOKEN}}), each variable set by the
     * unit's required EnvironmentFile {@code /etc/outpost/NAME.env}, whose example (NAME.env
     * beside the units) names every one; no token is written in the YAML config. Values are
     * stand-ins: the example leaves them empty for the operator.
     */
    private static Map<String, Object> tokenFlags(Path unit, Map<String, List<String>> service, String exec) {
        String secrets = service.get("EnvironmentFile").stream().filter(f -> !f.startsWith("-")).findFirst()
                .orElseThrow(() -> new AssertionError(unit + " has no required EnvironmentFile for its tokens"));
        assertThat(secrets).startsWith("/etc/outpost/").endsWith(".env");
        Path example = DIR.resolve(secrets.substring(secrets.lastIndexOf('/') + 1));
        String env = DeployFiles.read(example);
        String yaml = DeployFiles.read(DIR.resolve(configOf(exec)));
        assertThat(yaml).as("no token in the config file").doesNotContainPattern("(?m)^[a-z-]*token:");
        Map<String, Object> flags = new java.util.LinkedHashMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("--([a-z-]*token) \\$\\{([A-Z_]+)}").matcher(exec);
        while (m.find()) {
            assertThat(env).as("%s sets %s", example.getFileName(), m.group(2)).containsPattern("(?m)^" + m.group(2) + "=");
            flags.put(m.group(1), "stand-in-" + m.group(2).toLowerCase());
        }
        assertThat(flags).as("ExecStart passes tokens from %s", secrets).isNotEmpty();
        return flags;
    }

    /** The file name of {@code --config /etc/outpost/NAME}, shipped beside the units. */
    private static String configOf(String exec) {
        String path = exec.substring(exec.indexOf("--config ") + 9).split("\\s+")[0];
        assertThat(path).startsWith("/etc/outpost/");
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static void assertHardened(Path unit, Map<String, List<String>> service) {
        HARDENING.forEach((k, v) -> assertThat(one(service, k)).as("%s in %s", k, unit.getFileName()).isEqualTo(v));
        assertThat(service).as("the JIT needs W+X memory").doesNotContainKey("MemoryDenyWriteExecute");
        assertThat(one(service, "User")).isNotIn("root", "0");
        assertThat(one(service, "KillSignal")).isEqualTo("SIGTERM");
        assertThat(one(service, "Restart")).isEqualTo("on-failure");
        assertThat(section(unit, "Install")).containsKey("WantedBy");
    }

    /**
     * systemd-analyze checks the syntax and that ExecStart's program exists: the units are
     * verified as installed, the launchers copied (as deploy/README.md installs them) to a
     * temporary /opt/outpost.
     */
    @Test
    void systemdAnalyzeVerifiesTheUnits(@TempDir Path root) throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")),
                "systemd-analyze is not installed: unit syntax checked by the other tests only");
        Path opt = root.resolve("opt/outpost");
        Files.createDirectories(opt.resolve("bin"));
        for (String script : List.of("edge-node", "control-plane", "launch-jar", "jdk25-home")) {
            Files.copy(DeployFiles.repo().resolve("bin").resolve(script), opt.resolve("bin").resolve(script),
                    java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        List<String> cmd = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no"));
        for (String unit : List.of("outpost-edge.service", "outpost-control-plane.service")) {
            Path installed = root.resolve(unit);
            Files.writeString(installed, DeployFiles.read(DIR.resolve(unit)).replace("/opt/outpost/", opt + "/"));
            cmd.add(installed.toString());
        }
        var result = DeployFiles.run(Duration.ofSeconds(60), cmd);
        assertThat(result.exit()).as("%s", result).isZero();
        assertThat(result.all()).as("%s", result).doesNotContain("Unknown key", "Unknown section", "Failed to parse");
    }
}
