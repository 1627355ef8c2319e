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
    void oddSpellings() {
        assertThat(key("gzip;q=1.5, br;q=0.2")).isEqualTo("br"); // 1.5 is no qvalue
        assertThat(key("gzip ;\tq=0.3,\tbr;q=0.2")).isEqualTo("gzip");
        assertThat(key("br;level=5;q=0.2, gzip;q=0.1")).isEqualTo("br");
        assertThat(key("gzip;q=, br")).isEqualTo("br");
        assertThat(key("gzip;q=0.0001")).isEqualTo("identity"); // more than three decimals
        assertThat(key(",,, gzip ,,")).isEqualTo("gzip");
        assertThat(key("gzipx, brotli, zst")).isEqualTo("identity");
        assertThat(key("GZIP;Q=0.5, ZSTD;q=0.50")).isEqualTo("zstd");
    }

    @Test
    void linesCombine() {
        assertThat(AcceptEncodingKey.choose(List.of("gzip;q=0.5", "br;q=0.4"), ALL)).isEqualTo("gzip");
        assertThat(AcceptEncodingKey.choose(List.of("gzip;q=0.5", "gzip;q=0.1, br;q=0.4"), ALL)).isEqualTo("gzip");
    }
}
