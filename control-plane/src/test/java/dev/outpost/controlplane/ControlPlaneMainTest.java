package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.ConfigKeys;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.testing.Await;
import dev.outpost.testing.ChildJvm;
import dev.outpost.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The control plane as operators run it: flags, YAML, --help, refusals, JSON logs, SIGTERM. */
class ControlPlaneMainTest {

    @TempDir
    Path dir;

    ChildJvm run(String name, String... args) {
        // the production logging setup (JSON lines), not the tests' plain one
        return ChildJvm.start(ControlPlaneMain.class, dir.resolve(name + ".log"),
                List.of("-Xmx128m", "-Dlogback.configurationFile=logback.xml"), args);
    }

    @Test
    void helpListsTheContractFlags() {
        ChildJvm help = run("help", "--help");
        assertThat(help.waitFor(Duration.ofSeconds(30))).isZero();
        assertThat(help.logText()).contains("--listen", "--dns-listen", "--zone", "--geoip", "--data-dir", "--token", "--config");
    }

    @Test
    void everyConfigKeyIsAFlag() {
        CommandLine cl = ControlPlaneMain.commandLine(new ControlPlaneMain());
        for (ConfigKeys.Key key : ConfigKeys.of(ControlPlaneConfig.class)) {
            assertThat(cl.getCommandSpec().findOption("--" + key.name())).as("--" + key.name()).isNotNull();
        }
        assertThat(cl.getUsageMessage(CommandLine.Help.Ansi.OFF))
                .contains("--stream-keepalive=DURATION", "stays silent (default 5s)",
                        "--purge-rate-limit.burst=N", "--shutdown-grace=DURATION", "--tls.certificate=FILE", "--dns=YAML");
    }

    @Test
    void badFlagsAndConfigsAreRefusedInOneLineEach() throws Exception {
        ChildJvm noToken = run("no-token", "--data-dir", dir.resolve("d").toString());
        assertThat(noToken.waitFor(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(noToken.logText()).contains("control-plane: token: no token: give --token").doesNotContain("Exception");

        Path yaml = dir.resolve("cp.yaml");
        Files.writeString(yaml, "token: long-enough-token\nheartbeat-timeout: soon\n");
        ChildJvm badYaml = run("bad-yaml", "--config", yaml.toString());
        assertThat(badYaml.waitFor(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(badYaml.logText()).contains("cp.yaml:2:").contains("heartbeat-timeout");

        ChildJvm badFlag = run("bad-flag", "--token", "long-enough-token", "--stream-keepalive", "soon");
        assertThat(badFlag.waitFor(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(badFlag.logText()).contains("control-plane: flag --stream-keepalive: invalid value 'soon'");

        ChildJvm unknown = run("unknown", "--tokn", "x");
        assertThat(unknown.waitFor(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(unknown.logText()).contains("Unknown options: '--tokn'").contains("see --help");
    }

    @Test
    void runsFromYamlWithFlagsWinningAndStopsOnSigterm() throws Exception {
        int port = Ports.free();
        Path yaml = dir.resolve("cp.yaml");
        Files.writeString(yaml, """
                listen: 127.0.0.1:1
                read-token: read-token-from-yaml
                write-token: write-token-from-yaml
                purge-rate-limit: {requests-per-second: 5, burst: 5}
                """);
        ChildJvm cp = run("yaml", "--config", yaml.toString(), "--listen", "127.0.0.1:" + port,
                "--data-dir", dir.resolve("data").toString());
        HttpClient http = HttpClient.newHttpClient();
        Await.until("listening", Duration.ofSeconds(30), () -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/nodes"))
                        .header("Authorization", "Bearer read-token-from-yaml").build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        int code = cp.terminate(Duration.ofSeconds(30));
        assertThat(code).isIn(0, 143);
        String log = cp.logText();
        assertThat(log).contains("\"message\":\"control plane stopped\"");
        // no zone: the control plane says that DNS is off, and how to turn it on
        assertThat(log).contains("DNS is off: no zone is set; give --zone NAME");
        assertThat(log).contains("\"level\":\"INFO\"");
        assertThat(log).doesNotContain("read-token-from-yaml").doesNotContain("write-token-from-yaml");
    }
}
