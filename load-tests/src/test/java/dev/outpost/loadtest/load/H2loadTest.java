package dev.outpost.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class H2loadTest {

    static final String SUMMARY = """
            starting benchmark...
            spawning thread #0: 64 total client(s). Timing-based test with 1s warm-up time and 4s main duration
            Main benchmark duration is over for thread #0. Stopping all clients.

            finished in 5.00s, 85764.20 req/s, 94.10MB/s
            requests: 343057 total, 343121 started, 343057 done, 343050 succeeded, 7 failed, 0 errored, 0 timeout
            status codes: 343050 2xx, 0 3xx, 2 4xx, 1 5xx
            traffic: 376.40MB (394685053) total, 4.25MB (4456960) headers (space savings 90.17%), 335.02MB (351290368) data
                                 min         max         mean         sd        +/- sd
            time for request:      123us     12.34ms       700us       200us    80.00%
            """;

    @Test
    void throughputFromTheSummaryPercentilesFromTheLog() {
        StringBuilder log = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
            log.append(1_700_000_000_000_000L + i).append('\t').append(200).append('\t').append(i * 1000).append('\n');
        }
        LoadResult r = H2load.parse(SUMMARY, log.toString());
        assertThat(r.requestsPerSecond()).isEqualTo(85764.20);
        assertThat(r.requests()).isEqualTo(343057);
        assertThat(r.errors()).isEqualTo(7 + 2 + 1);
        assertThat(r.p50Millis()).isEqualTo(50.0);
        assertThat(r.p99Millis()).isEqualTo(99.0);
    }

    @Test
    void shortRunsReportMilliseconds() {
        LoadResult r = H2load.parse(SUMMARY.replace("finished in 5.00s", "finished in 7.13ms"), "1\t200\t500\n");
        assertThat(r.requestsPerSecond()).isEqualTo(85764.20);
        assertThat(r.p99Millis()).isEqualTo(0.5);
    }

    @Test
    void noSummaryIsAnError() {
        assertThatThrownBy(() -> H2load.parse("connect: Connection refused", ""))
                .hasMessageContaining("finished in").hasMessageContaining("Connection refused");
    }

    @Test
    void commandUsesPriorKnowledgeDurationAndLog() {
        assertThat(H2load.command("http://x/", 64, 1, java.time.Duration.ofSeconds(4), java.nio.file.Path.of("/tmp/l")))
                .contains("-c64", "-m1", "-D", "4", "--warm-up-time=1", "--log-file=/tmp/l");
    }
}
