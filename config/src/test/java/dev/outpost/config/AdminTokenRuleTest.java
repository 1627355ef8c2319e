package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An admin listener that other hosts can reach needs an admin token ({@code POST /purge} drops
 * cached content); on loopback the token stays optional.
 */
class AdminTokenRuleTest {

    private static NodeConfig read(String yaml) {
        return ConfigReader.node().parse("edge.yaml", "origin: http://127.0.0.1:9\n" + yaml).value();
    }

    @Test
    void aNonLoopbackAdminListenerWithoutTokenIsRefusedNamingTheFlag() {
        for (String admin : new String[] {"0.0.0.0:9080", "10.1.2.3:9080", "[::]:9080", ":9080", "admin.internal:9080"}) {
            assertThatThrownBy(() -> read("admin: \"" + admin + "\"\n"))
                    .as(admin)
                    .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                            .satisfies(p -> assertThat(p).startsWith("edge.yaml:2:").contains("admin: ")
                                    .contains("--admin-token").doesNotContain("\n")));
        }
    }

    @Test
    void aFlagGivenAdminListenerIsRefusedToo() {
        assertThatThrownBy(() -> ConfigReader.node().read(null, Map.of("origin", "http://127.0.0.1:9", "admin", "0.0.0.0:9080")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                        .satisfies(p -> assertThat(p).contains("--admin-token")));
    }

    @Test
    void aTokenOrALoopbackListenerIsAccepted() {
        assertThat(read("admin: 0.0.0.0:9080\nadmin-token: s3cret\n").adminToken()).isEqualTo("s3cret");
        for (String admin : new String[] {"127.0.0.1:9080", "127.0.1.2:17081", "localhost:9080", "[::1]:9080"}) {
            assertThat(read("admin: \"" + admin + "\"\n").adminToken()).as(admin).isNull();
        }
        assertThat(read("").admin().host()).isEqualTo("127.0.0.1");
    }

    @Test
    void anEmptyTokenIsRefused() {
        assertThatThrownBy(() -> read("admin: 0.0.0.0:9080\nadmin-token: \" \"\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                        .satisfies(p -> assertThat(p).contains("admin-token").contains("empty")));
    }

    @Test
    void loopbackIsOnlyLiteralLoopback() {
        assertThat(ConfigValidator.isLoopback("127.0.0.1")).isTrue();
        assertThat(ConfigValidator.isLoopback("127.255.0.9")).isTrue();
        assertThat(ConfigValidator.isLoopback("128.0.0.1")).isFalse();
        assertThat(ConfigValidator.isLoopback("127.0.0.256")).isFalse();
        assertThat(ConfigValidator.isLoopback("127.0.0")).isFalse();
        assertThat(ConfigValidator.isLoopback("127.example.com")).isFalse();
        assertThat(ConfigValidator.isLoopback("0.0.0.0")).isFalse();
    }
}
