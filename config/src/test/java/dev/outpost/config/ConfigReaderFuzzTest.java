package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Jazzer fuzz target for config parsing: any bytes, read as YAML and as JSON by each of the
 * three readers (node, delivery, control plane). Invariants: nothing but a
 * {@link ConfigException} escapes; each of its problems is one non-blank line that names the
 * document (unless the document is empty: then the flags were all there was); and a document that is accepted prints (YAML and JSON) and parses back to the same
 * value.
 *
 * <p>Fuzzed in a child JVM by {@link ConfigFuzzRunTest} (10 s in the normal test command, seed
 * inputs from the examples under {@code ConfigReaderFuzzTestInputs/} first; a long run is
 * tagged {@code long-fuzz}).
 */
@EnabledIfEnvironmentVariable(named = "JAZZER_FUZZ", matches = ".+",
        disabledReason = "fuzzed in a child JVM by ConfigFuzzRunTest, so Jazzer's agent stays out of the test JVM")
class ConfigReaderFuzzTest {

    private static final List<ConfigReader<?>> READERS = List.of(ConfigReader.node(), ConfigReader.delivery(),
            ControlPlaneConfig.reader());

    @FuzzTest(maxDuration = "10s")
    void anyDocumentIsReadOrRefusedCleanly(byte[] input) throws JsonProcessingException {
        String text = new String(input, StandardCharsets.UTF_8);
        for (ConfigReader<?> reader : READERS) {
            for (String name : List.of("fuzz.yaml", "fuzz.json")) {
                Object value;
                try {
                    value = reader.parse(name, text).value();
                } catch (ConfigException e) {
                    assertThat(e.problems()).isNotEmpty();
                    for (String p : e.problems()) {
                        assertThat(p).as("a problem line").isNotBlank().doesNotContain("\n");
                        if (!text.isBlank()) {
                            assertThat(p).as("a problem line").startsWith(name);
                        }
                    }
                    continue;
                }
                roundTrips(reader, value, "printed.yaml", OutpostJson.yaml());
                roundTrips(reader, value, "printed.json", OutpostJson.json());
            }
        }
    }

    private static void roundTrips(ConfigReader<?> reader, Object value, String name, ObjectMapper mapper)
            throws JsonProcessingException {
        String printed = mapper.writeValueAsString(value);
        Object again;
        try {
            again = reader.parse(name, printed).value();
        } catch (ConfigException e) {
            throw new AssertionError("an accepted config, printed, is refused: " + e.getMessage() + "\n" + printed, e);
        }
        assertThat(again).as("parse, print, parse:\n%s", printed).isEqualTo(value);
    }
}
