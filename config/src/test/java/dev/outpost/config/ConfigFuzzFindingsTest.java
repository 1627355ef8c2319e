package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Found by fuzzing: a value quoted in a problem must not break it over several lines. */
class ConfigProblemLinesTest {

    @Test
    void aMultiLineValueIsQuotedOnOneLine() {
        String yaml = "listen: \"12d-proxies: [10.0.0.0/8]\\ncache: memory-size\\t1GiB\\u0007\"\n";
        assertThatThrownBy(() -> ConfigReader.node().parse("edge.yaml", yaml))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.problems()).hasSize(1);
                    assertThat(e.problems().get(0)).startsWith("edge.yaml:1:1: listen: invalid value")
                            .contains("[10.0.0.0/8]\\ncache: memory-size\\t1GiB\\u0007").doesNotContain("\n");
                    assertThat(e.getMessage()).doesNotContain("\n");
                });
    }
}
