package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The slow-reader bounds: write timeout, slow-reader memory, promotion memory; defaults, keys, flags, refusals. */
class SlowReaderSettingsTest {

    private static NodeConfig read(String yaml) {
        return ConfigReader.node().parse("edge.yaml", yaml).value();
    }

    @Test
    void defaultsKeysAndFlags() {
        NodeConfig d = read("origin: http://o.example\n");
        assertThat(d.limits().writeTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.limits().slowReaderMemory()).isEqualTo(DataSize.ofMebibytes(64));
        assertThat(d.cache().promotionMemory()).isEqualTo(DataSize.ofMebibytes(64));

        NodeConfig n = read("""
                origin: http://o.example
                limits: {write-timeout: 2s, slow-reader-memory: 8MiB}
                cache: {promotion-memory: 16MiB}
                """);
        assertThat(n.limits().writeTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(n.limits().slowReaderMemory()).isEqualTo(DataSize.ofMebibytes(8));
        assertThat(n.cache().promotionMemory()).isEqualTo(DataSize.ofMebibytes(16));

        NodeConfig flags = ConfigReader.node().read(null, Map.of("origin", "http://o.example",
                "limits.write-timeout", "5s", "limits.slow-reader-memory", "1MiB", "cache.promotion-memory", "0")).value();
        assertThat(flags.limits().writeTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(flags.limits().slowReaderMemory()).isEqualTo(DataSize.ofMebibytes(1));
        assertThat(flags.cache().promotionMemory().bytes()).isZero();
    }

    @Test
    void aZeroWriteTimeoutIsRefusedByKey() {
        assertThatThrownBy(() -> read("""
                origin: http://o.example
                limits: {write-timeout: 0s}
                """))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("limits.write-timeout")));
    }
}
