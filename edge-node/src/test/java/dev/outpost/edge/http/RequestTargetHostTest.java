package dev.outpost.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Host values normalised for the cache key: one form per host, and the usual one returned as it came. */
class RequestTargetHostTest {

    @ParameterizedTest(name = "{0} (https {1}) -> {2}")
    @CsvSource(nullValues = "null", value = {
        "Example.COM, false, example.com",
        "example.com., false, example.com",
        "example.com:80, false, example.com",
        "example.com:80, true, example.com:80",
        "example.com:443, true, example.com",
        "example.com:08080, false, example.com:8080",
        "example.com:0, false, example.com:0",
        "example.com:65535, false, example.com:65535",
        "example.com:65536, false, null",
        "example.com:, false, null",
        "example.com:123456, false, null",
        "example.com:8o, false, null",
        "example.com:1:2, false, null",
        ":80, false, null",
        "., false, null",
        "exa_mple.com, false, exa_mple.com",
        "exa%mple.com, false, null",
        "[::1]:8080, false, [::1]:8080",
        "[::1], false, [::1]",
        "[::1]:80, false, [::1]",
    })
    void normalises(String host, boolean https, String expected) {
        assertThat(RequestTarget.normaliseHost(host, https)).isEqualTo(expected);
    }

    @Test
    void aHostAlreadyInItsNormalFormIsReturnedAsItCame() {
        for (String host : new String[] {"example.com", "example.com:8080", "127.0.0.1:8080", "a-b.c_d.example"}) {
            assertThat(RequestTarget.normaliseHost(host, false)).isSameAs(host);
        }
        String https = "example.com:80";
        assertThat(RequestTarget.normaliseHost(https, true)).isSameAs(https);
    }
}
