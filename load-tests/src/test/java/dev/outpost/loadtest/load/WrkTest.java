package dev.outpost.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class WrkTest {

    static final String OUTPUT = """
            Running 5s test @ http://127.0.0.1:8080/obj/1KiB/hot
              1 threads and 64 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency   527.55us  120.13us   4.01ms   85.49%
                Req/Sec   121.83k     3.09k  126.48k    82.00%
              Latency Distribution
                 50%  506.00us
                 75%  565.00us
                 90%  647.00us
                 99%    1.98ms
              606163 requests in 5.00s, 673.76MB read
              Socket errors: connect 0, read 2, write 0, timeout 3
              Non-2xx or 3xx responses: 12
            Requests/sec: 121213.29
            Transfer/sec:    134.73MB
            """;

    @Test
    void parsesThroughputPercentilesAndErrors() {
        LoadResult r = Wrk.parse(OUTPUT);
        assertThat(r.requestsPerSecond()).isEqualTo(121213.29);
        assertThat(r.p50Millis()).isCloseTo(0.506, within(1e-9));
        assertThat(r.p99Millis()).isCloseTo(1.98, within(1e-9));
        assertThat(r.requests()).isEqualTo(606163);
        assertThat(r.errors()).isEqualTo(2 + 3 + 12);
        assertThat(r.valid()).isTrue();
    }

    @Test
    void convertsEveryTimeUnit() {
        String slow = OUTPUT.replace("506.00us", "1.50s").replace("1.98ms", "2.00m");
        LoadResult r = Wrk.parse(slow);
        assertThat(r.p50Millis()).isEqualTo(1500.0);
        assertThat(r.p99Millis()).isEqualTo(120_000.0);
    }

    @Test
    void manyErrorsMakeARunInvalid() {
        LoadResult r = Wrk.parse(OUTPUT.replace("Non-2xx or 3xx responses: 12", "Non-2xx or 3xx responses: 600000"));
        assertThat(r.valid()).isFalse();
    }

    @Test
    void outputWithoutLatencyDistributionIsRefusedWithAReason() {
        String noLatency = OUTPUT.replaceAll("(?s)  Latency Distribution.*99%\\s+1.98ms\\n", "");
        assertThatThrownBy(() -> Wrk.parse(noLatency)).hasMessageContaining("50%");
        assertThatThrownBy(() -> Wrk.parse("unable to connect to 127.0.0.1:1 Connection refused"))
                .hasMessageContaining("Requests/sec").hasMessageContaining("Connection refused");
    }

    @Test
    void commandPinsOneThreadAndAsksForLatency() {
        assertThat(Wrk.command("http://x/", 64, java.time.Duration.ofSeconds(4)))
                .containsExactly("wrk", "-t1", "-c64", "-d4s", "--latency", "--timeout", "5s", "http://x/");
        assertThat(Wrk.command("http://x/", 8, java.time.Duration.ofSeconds(2), java.util.List.of("Accept-Encoding: gzip")))
                .containsExactly("wrk", "-t1", "-c8", "-d2s", "--latency", "--timeout", "5s", "-H", "Accept-Encoding: gzip",
                        "http://x/");
    }
}
