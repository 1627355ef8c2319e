package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code dns resolve} against a stand-in control plane on a real socket: table, JSON, and one-line errors. */
class DnsCommandTest {

    static final String EXPLANATION = """
            {"name":"www.cdn.example.test","zone":"cdn.example.test","rcode":"NOERROR","pool":"www",
             "client":{"address":"203.0.113.77","network":"203.0.113.0/24","located":true,"continent":"AS",
                       "country":"JP","city":"Tokyo","latitude":35.6762,"longitude":139.6503},
             "policy":"nearest","override":null,"ecs-scope":24,"ttl":30,"degraded":false,
             "ipv4-answers":["10.3.0.1"],"ipv6-answers":["fd00:3:0:0:0:0:0:1"],
             "candidates":[
               {"node-id":"tyo-1","region":"ap-northeast","addresses":["10.3.0.1"],"distance-km":1.2,
                "healthy":true,"drained":false,"weight":1.0,"in-pool":true,"chosen":true},
               {"node-id":"syd-1","region":"ap-southeast","addresses":["10.6.0.1"],"distance-km":7823.4,
                "healthy":false,"drained":false,"weight":1.0,"in-pool":true,"chosen":false}]}
            """;

    HttpServer server;
    final AtomicReference<String> seenQuery = new AtomicReference<>();
    final AtomicReference<String> seenAuth = new AtomicReference<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/dns/resolve", ex -> {
            seenQuery.set(ex.getRequestURI().getRawQuery());
            seenAuth.set(ex.getRequestHeaders().getFirst("Authorization"));
            boolean bad = ex.getRequestURI().getQuery().contains("client=nope");
            byte[] body = (bad ? "{\"error\":\"bad-request\",\"detail\":\"not an IP address: 'nope'\"}" : EXPLANATION)
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(bad ? 400 : 200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    record Run(int code, String out, String err) {
    }

    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new DnsCommand());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void printsTheLocationPolicyAnswerAndCandidates() {
        Run r = run("resolve", "www.cdn.example.test", "--client", "203.0.113.77", "--control-plane", url(), "--token", "t0k");
        assertThat(r.code()).isZero();
        assertThat(seenQuery.get()).isEqualTo("name=www.cdn.example.test&client=203.0.113.77");
        assertThat(seenAuth.get()).isEqualTo("Bearer t0k");
        assertThat(r.out()).contains("client:   Tokyo, JP, AS (35.68,139.65), network 203.0.113.0/24")
                .contains("policy:   nearest")
                .contains("answer:   A 10.3.0.1  AAAA fd00:3:0:0:0:0:0:1  ttl 30s  ecs scope /24")
                .containsPattern("NODE\\s+REGION\\s+DISTANCE-KM\\s+HEALTHY")
                .containsPattern("tyo-1\\s+ap-northeast\\s+1\\s+yes\\s+no\\s+1.0\\s+yes\\s+\\*\\s+10.3.0.1")
                .containsPattern("syd-1\\s+ap-southeast\\s+7823\\s+no\\s+no");
    }

    @Test
    void jsonOutputIsTheApisJson() throws IOException {
        Run r = run("resolve", "www.cdn.example.test", "--client", "203.0.113.77", "--control-plane", url(), "-o", "json");
        assertThat(r.code()).isZero();
        assertThat(dev.outpost.config.OutpostJson.json().readTree(r.out()).at("/candidates/0/node-id").asText())
                .isEqualTo("tyo-1");
    }

    @Test
    void errorsAreOneLineAndNonZero() {
        Run bad = run("resolve", "www.cdn.example.test", "--client", "nope", "--control-plane", url());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err().strip()).isEqualTo("dns resolve: bad-request: not an IP address: 'nope'");
        Run down = run("resolve", "www", "--client", "192.0.2.1", "--control-plane", "http://127.0.0.1:1");
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.err().strip()).startsWith("dns resolve: cannot reach the control plane at http://127.0.0.1:1").doesNotContain("\n");
        Run format = run("resolve", "www", "--client", "192.0.2.1", "--control-plane", url(), "-o", "yaml");
        assertThat(format.code()).isEqualTo(2);
        assertThat(format.err()).contains("--output is table or json");
        Run missing = run("resolve", "www");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--client");
    }
}
