package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * deploy/systemd: the units run the real jar with the example config, which the real config
 * reader accepts; they carry the hardening options, may write only the data and log
 * directories, and the data directory of the config is one of them. systemd-analyze verifies
 * them where it is installed.
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
        assertThat(exec).contains("--enable-native-access=ALL-UNNAMED", "-jar /opt/outpost/edge-node.jar");
        NodeConfig node = ConfigReader.node().read(DIR.resolve(configOf(exec)), Map.of()).value();
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
        assertThat(exec).contains("--enable-native-access=ALL-UNNAMED", "-jar /opt/outpost/control-plane.jar");
        ControlPlaneConfig cp = new ConfigReader<>(ControlPlaneConfig.class, c -> List.of())
                .read(DIR.resolve(configOf(exec)), Map.of()).value();
        assertThat(one(service, "ReadWritePaths").split("\\s+")).contains(cp.dataDir());
        assertThat(cp.dataDir()).isEqualTo("/var/lib/" + one(service, "StateDirectory"));
        assertThat(cp.dnsListen().port()).as("DNS on 53 needs the bind capability").isEqualTo(53);
        assertThat(one(service, "AmbientCapabilities")).isEqualTo("CAP_NET_BIND_SERVICE");
        assertHardened(unit, service);
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

    @Test
    void systemdAnalyzeVerifiesTheUnits() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")),
                "systemd-analyze is not installed: unit syntax checked by the other tests only");
        var result = DeployFiles.run(Duration.ofSeconds(60), List.of("systemd-analyze", "verify", "--man=no",
                DIR.resolve("outpost-edge.service").toString(), DIR.resolve("outpost-control-plane.service").toString()));
        assertThat(result.exit()).as("%s", result).isZero();
        assertThat(result.all()).as("%s", result).doesNotContain("Unknown key", "Unknown section", "Failed to parse");
    }
}
