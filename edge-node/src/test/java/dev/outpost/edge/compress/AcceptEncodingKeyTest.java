package dev.outpost.edge.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A client's Accept-Encoding folded to the one encoding it is sent: q-values first, then the rule's order. */
class AcceptEncodingKeyTest {

    private static final List<String> ALL = List.of("br", "zstd", "gzip");

    private static String key(String header) {
        return AcceptEncodingKey.choose(header == null ? List.of() : List.of(header), ALL);
    }

    @Test
    void ruleOrderBreaksTies() {
        assertThat(key("gzip, deflate, br, zstd")).isEqualTo("br");
        assertThat(key("gzip, zstd")).isEqualTo("zstd");
        assertThat(key("gzip")).isEqualTo("gzip");
        assertThat(key("x-gzip")).isEqualTo("gzip");
        assertThat(AcceptEncodingKey.choose(List.of("br, gzip"), List.of("gzip", "br"))).isEqualTo("gzip");
    }

    @Test
    void qValuesWin() {
        assertThat(key("br;q=0.5, gzip;q=0.9")).isEqualTo("gzip");
        assertThat(key("br;q=0.5, gzip;q=0.9, zstd")).isEqualTo("zstd");
        assertThat(key("BR ; Q=1.0 , GZIP;q=0.1")).isEqualTo("br");
        assertThat(key("gzip;q=0, br;q=0")).isEqualTo("identity");
        assertThat(key("gzip;q=2")).isEqualTo("identity"); // not a qvalue: refused
        assertThat(key("gzip;q=abc, zstd;q=0.001")).isEqualTo("zstd");
    }

    @Test
    void starCoversWhatIsNotNamed() {
        assertThat(key("*")).isEqualTo("br");
        assertThat(key("br;q=0, *")).isEqualTo("zstd");
        assertThat(key("br;q=0, zstd;q=0, *;q=0.3")).isEqualTo("gzip");
        assertThat(key("*;q=0, gzip")).isEqualTo("gzip");
        assertThat(key("*;q=0")).isEqualTo("identity");
    }

    @Test
    void noneAcceptedIsIdentity() {
        assertThat(key(null)).isEqualTo("identity");
        assertThat(key("")).isEqualTo("identity");
        assertThat(key("identity")).isEqualTo("identity");
        assertThat(key("deflate, compress")).isEqualTo("identity");
        assertThat(AcceptEncodingKey.choose(List.of("br"), List.of("gzip"))).isEqualTo("identity");
        assertThat(AcceptEncodingKey.choose(List.of("gzip"), List.of())).isEqualTo("identity");
    }

    @Test
    void linesCombine() {
        assertThat(AcceptEncodingKey.choose(List.of("gzip;q=0.5", "br;q=0.4"), ALL)).isEqualTo("gzip");
        assertThat(AcceptEncodingKey.choose(List.of("gzip;q=0.5", "gzip;q=0.1, br;q=0.4"), ALL)).isEqualTo("gzip");
    }
}
