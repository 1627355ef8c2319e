package dev.outpost.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.ConfigKeys;
import dev.outpost.config.NodeConfig;
import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The node's command line has a flag for every config key (README: "every key is also a
 * flag"), with the help texts of {@code flags.properties}, and that file names only real keys.
 * That a flag sets what the same YAML key sets is {@code ConfigFlagsTest}'s.
 */
class EdgeNodeFlagsTest {

    @Test
    void everyConfigKeyIsAFlagWithItsHelp() throws Exception {
        CommandLine cl = EdgeNodeMain.commandLine(new EdgeNodeMain());
        for (ConfigKeys.Key key : ConfigKeys.of(NodeConfig.class)) {
            assertThat(cl.getCommandSpec().findOption("--" + key.name())).as("--" + key.name()).isNotNull();
        }
        String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
        // the ten keys that once had no flag
        for (String flag : new String[] {"--cache.max-variants=N", "--cache.heuristic-fraction=NUMBER",
                "--cache.heuristic-max=DURATION", "--cache.hit-for-pass=DURATION", "--limits.max-request-line=SIZE",
                "--limits.max-header-bytes=SIZE", "--limits.max-headers=N", "--tls.client-ca=FILE", "--hosts=HOST",
                "--unknown-host-status=421|404"}) {
            assertThat(help).contains(flag);
        }
        assertThat(help).contains("--listen=HOST:PORT").contains("client listener, HTTP/1.1 and h2c (default 0.0.0.0:8080)")
                .contains("(default: host name and client port").contains("--config=FILE").contains("--help");
        assertThat(help.indexOf("--config=FILE")).as("--config first, then the model's order")
                .isLessThan(help.indexOf("--node-id=ID"));
    }

    @Test
    void theHelpFileNamesOnlyRealKeys() throws Exception {
        Properties p = new Properties();
        try (InputStream in = EdgeNodeMain.class.getResourceAsStream("flags.properties")) {
            p.load(in);
        }
        var keys = ConfigKeys.of(NodeConfig.class).stream().map(ConfigKeys.Key::name).toList();
        assertThat(keys).containsAll(p.stringPropertyNames());
        for (String k : p.stringPropertyNames()) {
            assertThat(p.getProperty(k)).as(k + " = LABEL | description").contains(" | ");
        }
    }
}
