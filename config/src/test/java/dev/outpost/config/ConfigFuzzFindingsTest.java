package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What fuzzing {@link ConfigReader} found, kept as plain tests. */
class ConfigFuzzFindingsTest {

    @Test
    void aMultiLineValueIsQuotedOnOneLine() {
        String yaml = "listen: \"12d-proxies: [10.0.0.0/8]\\ncache: memory-size\\t1GiB\\u0007\"\norigin: http://127.0.0.1:9000\n"; // the only problem: listen
        assertThatThrownBy(() -> ConfigReader.node().parse("edge.yaml", yaml))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.problems()).hasSize(1);
                    assertThat(e.problems().get(0)).startsWith("edge.yaml:1:1: listen: invalid value")
                            .contains("[10.0.0.0/8]\\ncache: memory-size\\t1GiB\\u0007").doesNotContain("\n");
                    assertThat(e.getMessage()).doesNotContain("\n");
                });
    }

    @Test
    void aKeyWhoseNameHoldsBracketsIsAnUnknownKeyNotACrash() {
        for (String yaml : List.of("origin: http://127.0.0.1:9000\ncache: {\"memory-siz]\": ttt}\n",
                "origin: http://127.0.0.1:9000\ncache: {\"a[x]\": 1}\n", "origin: http://127.0.0.1:9000\ncache: {\"b[\": 1}\n")) {
            assertThatThrownBy(() -> ConfigReader.node().parse("edge.yaml", yaml)).as(yaml)
                    .isInstanceOfSatisfying(ConfigException.class, e ->
                            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("edge.yaml:2:").contains("cache.")));
        }
    }

    @Test
    void anEmptyListEntryIsAProblemNotANullPointer() {
        for (String yaml : List.of("origin: http://127.0.0.1:9000\norigins:\n  -\n", "origin: http://127.0.0.1:9000\nrules: [~]\n",
                "origin: http://127.0.0.1:9000\nrules: [{name: a, match: {methods: [GET, ~]}}]\n", "shield: [null]\n")) {
            assertThatThrownBy(() -> ConfigReader.node().parse("edge.yaml", yaml)).as(yaml)
                    .isInstanceOfSatisfying(ConfigException.class, e ->
                            assertThat(e.problems().get(0)).startsWith("edge.yaml:").containsPattern("\\[\\d]: "));
            assertThatThrownBy(() -> ConfigReader.delivery().parse("push.json", "{\"rules\": [null]}")).isInstanceOf(ConfigException.class);
        }
    }

    @Test
    void stringsThatLookLikeOtherYamlValuesPrintQuotedAndReadBackEqual() throws JsonProcessingException {
        for (String id : List.of("91.e1", "1_000", "0x1F", "0o17", "1e3", ".inf", "-.5", "yes", "off", "~", "null",
                "2001-12-14", "12:30:00", "edge-1", "1.2.3")) {
            NodeConfig c = ConfigReader.node().parse("edge.yaml", "node-id: \"" + id + "\"\norigin: http://127.0.0.1:9000\n")
                    .value();
            assertThat(c.nodeId()).isEqualTo(id);
            String printed = OutpostJson.yaml().writeValueAsString(c);
            NodeConfig again = ConfigReader.node().parse("printed.yaml", printed).value();
            assertThat(again.nodeId()).as("node-id %s printed as:%n%s", id, printed).isEqualTo(id);
            assertThat(again).isEqualTo(c);
        }
        assertThat(OutpostJson.yaml().writeValueAsString(java.util.Map.of("a", "edge-1"))).isEqualTo("a: edge-1\n");
    }
}
