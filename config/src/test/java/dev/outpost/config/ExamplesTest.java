package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The example files operators copy from stay valid. */
class ExamplesTest {

    private static Path examples() {
        Path p = Path.of("examples");
        return Files.isDirectory(p) ? p : Path.of("config/examples");
    }

    @Test
    void edgeExampleIsValid() {
        NodeConfig n = ConfigReader.node().read(examples().resolve("edge.yaml"), Map.of()).value();
        assertThat(n.delivery().rules()).hasSize(4);
        assertThat(n.delivery().origin("media").servers()).hasSize(2);
    }

    @Test
    void deliveryExampleIsValid() throws Exception {
        Path f = examples().resolve("delivery.yaml");
        DeliveryConfig d = ConfigReader.delivery().parse(f.toString(), Files.readString(f)).value();
        assertThat(d.rules()).hasSize(2);
    }
}
