package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The compress block of a rule: off by default, its keys from YAML, refusals by file, line and key. */
class CompressSettingsTest {

    private static NodeConfig read(String yaml) {
        return ConfigReader.node().parse("edge.yaml", yaml).value();
    }

    @Test
    void offByDefaultWithSaneDefaults() {
        assertThat(Rule.BUILT_IN.compress().enabled()).isFalse();
        NodeConfig d = read("origin: http://o.example\n");
        assertThat(d.delivery().defaultRule().withDefaults(Rule.BUILT_IN).compress().enabled()).isFalse();

        Compress on = read("""
                origin: http://o.example
                rules:
                  - {match: {path-prefix: /a/}, compress: {enabled: true}}
                """).delivery().rules().getFirst().compress();
        assertThat(on.enabled()).isTrue();
        assertThat(on.encodings()).containsExactly("br", "zstd", "gzip");
        assertThat(on.types()).contains("text/*", "application/json", "application/javascript", "image/svg+xml");
        assertThat(on.minSize()).isEqualTo(DataSize.ofKibibytes(1));
        assertThat(on.levelFor("gzip")).isEqualTo(6);
        assertThat(on.levelFor("br")).isEqualTo(4);
        assertThat(on.levelFor("zstd")).isEqualTo(3);
        assertThat(d.limits().maxConcurrentCompressions()).isEqualTo(64);
        assertThat(read("origin: http://o.example\nlimits: {max-concurrent-compressions: 4}\n").limits()
                .maxConcurrentCompressions()).isEqualTo(4);
        assertThatThrownBy(() -> read("origin: http://o.example\nlimits: {max-concurrent-compressions: -1}\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("limits.max-concurrent-compressions")));
    }

    @Test
    void keysAreRead() {
        NodeConfig n = read("""
                origin: http://o.example
                default-rule:
                  compress: {enabled: true, level: 5}
                rules:
                  - match: {path-prefix: /api/}
                    compress:
                      enabled: true
                      types: [application/json, Text/*]
                      min-size: 2KiB
                      encodings: [gzip, BR]
                      level: {gzip: 9, br: 11}
                  - match: {path-prefix: /static/}
                """);
        Compress c = n.delivery().rules().getFirst().compress();
        assertThat(c.types()).containsExactly("application/json", "text/*");
        assertThat(c.minSize()).isEqualTo(DataSize.ofKibibytes(2));
        assertThat(c.encodings()).containsExactly("gzip", "br");
        assertThat(c.levelFor("gzip")).isEqualTo(9);
        assertThat(c.levelFor("br")).isEqualTo(11);
        assertThat(c.levelFor("zstd")).isEqualTo(3);
        Rule inherits = n.delivery().rules().get(1).withDefaults(n.delivery().defaultRule().withDefaults(Rule.BUILT_IN));
        assertThat(inherits.compress().enabled()).isTrue();
        assertThat(inherits.compress().levelFor("gzip")).isEqualTo(5);
        assertThat(inherits.compress().levelFor("br")).isEqualTo(5);

    }

    @Test
    void survivesAJsonRoundTrip() throws Exception {
        Rule r = read("""
                origin: http://o.example
                rules:
                  - {match: {path-prefix: /a/}, compress: {enabled: true, level: 7, encodings: [zstd, gzip]}}
                """).delivery().rules().getFirst();
        String json = OutpostJson.json().writeValueAsString(r);
        Rule back = OutpostJson.json().readValue(json, Rule.class);
        assertThat(back.compress()).isEqualTo(r.compress());
        assertThat(back.compress().levelFor("zstd")).isEqualTo(7);
    }

    @Test
    void wrongValuesAreRefusedByKey() {
        assertThatThrownBy(() -> read("""
                origin: http://o.example
                rules:
                  - match: {path-prefix: /a/}
                    compress:
                      enabled: true
                      encodings: [gzip, deflate, gzip]
                      types: [text, "application/json"]
                      level: {gzip: 12, lzma: 3}
                  - {match: {path-prefix: /b/}, compress: {enabled: true, encodings: [], types: []}}
                  - {match: {path-prefix: /c/}, compress: {enabled: true, level: 10}}
                """))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("rules[0].compress.encodings[1]").contains("deflate"))
                        .anySatisfy(p -> assertThat(p).contains("rules[0].compress.encodings[2]").contains("twice"))
                        .anySatisfy(p -> assertThat(p).contains("rules[0].compress.types[0]").contains("not a media type"))
                        .anySatisfy(p -> assertThat(p).contains("rules[0].compress.level.gzip").contains("1 to 9"))
                        .anySatisfy(p -> assertThat(p).contains("rules[0].compress.level.lzma").contains("unknown"))
                        .anySatisfy(p -> assertThat(p).contains("rules[1].compress.encodings").contains("at least one"))
                        .anySatisfy(p -> assertThat(p).contains("rules[1].compress.types").contains("at least one"))
                        .anySatisfy(p -> assertThat(p).contains("rules[2].compress.level").contains("gzip levels are 1 to 9")));
    }

    @Test
    void wrongTypesAreRefusedWithFileAndLine() {
        assertThatThrownBy(() -> read("""
                origin: http://o.example
                rules:
                  - match: {path-prefix: /a/}
                    compress: {enabled: true, level: fast, min-size: lots}
                """))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("edge.yaml:4:").contains("compress.level"))
                        .anySatisfy(p -> assertThat(p).startsWith("edge.yaml:4:").contains("compress.min-size")));
    }
}
