package dev.outpost.edge.compress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.Compress;
import dev.outpost.config.DataSize;
import dev.outpost.edge.http.HeaderSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which responses qualify, and the head of an encoded variant (ETag suffix, Vary merge). */
class CompressionRulesTest {

    private static final Compress ON = new Compress(true, null, DataSize.ofKibibytes(1), null, null);

    private static HeaderSource headers(Map<String, String> h) {
        return new HeaderSource() {
            @Override
            public String first(String name) {
                return h.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                        .findFirst().orElse(null);
            }

            @Override
            public List<String> all(String name) {
                String v = first(name);
                return v == null ? List.of() : List.of(v);
            }
        };
    }

    @Test
    void qualifying() {
        assertThat(Compression.qualifies(ON, 200, headers(Map.of("Content-Type", "text/html; charset=utf-8")), 5000)).isTrue();
        assertThat(Compression.qualifies(ON, 200, headers(Map.of("Content-Type", "application/json")), -1)).isTrue();
        assertThat(Compression.qualifies(ON, 200, headers(Map.of("Content-Type", "image/svg+xml")), 5000)).isTrue();
        assertThat(Compression.qualifies(ON, 200, headers(Map.of("Content-Type", "image/png")), 5000)).isFalse();
        assertThat(Compression.qualifies(ON, 200, headers(Map.of("Content-Type", "text/plain")), 1023)).isFalse();
        assertThat(Compression.qualifies(ON, 404, headers(Map.of("Content-Type", "text/plain")), 5000)).isFalse();
        assertThat(Compression.qualifies(ON, 200, headers(Map.of()), 5000)).isFalse();
        assertThat(Compression.qualifies(ON, 200, headers(Map.of("Content-Type", "text/plain", "Content-Encoding", "gzip")),
                5000)).isFalse();
        assertThat(Compression.qualifies(ON, 200, headers(Map.of("Content-Type", "text/plain",
                "Cache-Control", "max-age=60, no-transform")), 5000)).isFalse();
        assertThat(Compression.qualifies(Compress.OFF, 200, headers(Map.of("Content-Type", "text/plain")), 5000)).isFalse();
        assertThat(Compression.typeListed(List.of("text/*"), "textual/plain")).isFalse();
    }

    @Test
    void decodable() {
        assertThat(Compression.decodable(ON, 200, headers(Map.of("Content-Type", "text/css", "Content-Encoding", "x-gzip"))))
                .isEqualTo("gzip");
        assertThat(Compression.decodable(ON, 200, headers(Map.of("Content-Type", "text/css", "Content-Encoding", "br"))))
                .isEqualTo("br");
        assertThat(Compression.decodable(ON, 200, headers(Map.of("Content-Type", "text/css")))).isNull();
        assertThat(Compression.decodable(ON, 200, headers(Map.of("Content-Type", "text/css", "Content-Encoding", "gzip, br"))))
                .isNull();
        assertThat(Compression.decodable(ON, 200, headers(Map.of("Content-Type", "text/css", "Content-Encoding", "deflate"))))
                .isNull();
        assertThat(Compression.decodable(ON, 200, headers(Map.of("Content-Type", "image/png", "Content-Encoding", "gzip"))))
                .isNull();
        assertThat(Compression.decodable(ON, 200, headers(Map.of("Content-Type", "text/css", "Content-Encoding", "gzip",
                "Cache-Control", "no-transform")))).isNull();
        assertThat(Compression.originEtag("\"abc-identity\"")).isEqualTo("\"abc\"");
    }

    @Test
    void etagsAreSuffixedAndRestored() {
        assertThat(Compression.suffixEtag("\"abc\"", "gzip")).isEqualTo("\"abc-gzip\"");
        assertThat(Compression.suffixEtag("W/\"abc\"", "br")).isEqualTo("W/\"abc-br\"");
        assertThat(Compression.originEtag("\"abc-zstd\"")).isEqualTo("\"abc\"");
        assertThat(Compression.originEtag("W/\"abc-br\"")).isEqualTo("W/\"abc\"");
        assertThat(Compression.originEtag("\"abc\"")).isEqualTo("\"abc\"");
    }

    @Test
    void encodedHead() {
        List<String> names = new ArrayList<>(List.of("Content-Type", "Content-Length", "ETag", "Vary", "Vary"));
        List<String> values = new ArrayList<>(List.of("text/css", "5000", "\"v1\"", "Origin", "Accept-Language"));
        Compression.encodedHead(names, values, "zstd");
        assertThat(names).containsExactly("Content-Type", "ETag", "Vary", "Content-Encoding");
        assertThat(values).containsExactly("text/css", "\"v1-zstd\"", "Origin, Accept-Language, Accept-Encoding", "zstd");

        List<String> n2 = new ArrayList<>(List.of("Vary"));
        List<String> v2 = new ArrayList<>(List.of("accept-encoding"));
        Compression.mergeVary(n2, v2);
        assertThat(v2).containsExactly("accept-encoding");
    }
}
