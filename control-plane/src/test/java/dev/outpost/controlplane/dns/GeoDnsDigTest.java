package dev.outpost.controlplane.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same server asked by BIND's {@code dig}, a client we didn't write. Skipped with a note when
 * dig is missing and can't be installed ({@code apt-get install -y dnsutils} is tried only as root).
 */
class GeoDnsDigTest {

    static DnsTestKit kit;

    @BeforeAll
    static void start() {
        assumeTrue(digAvailable(), "dig is not installed and cannot be installed here (not root, or no apt): skipped");
        FakeEdgeDirectory edges = FakeEdgeDirectory.world();
        for (int i = 0; i < 40; i++) {
            edges.put(FakeEdgeDirectory.edge("many-" + i, "many", "0," + (i * 4 - 80), 1.0, List.of("many"),
                    "10.9.0." + (i + 1)));
        }
        kit = new DnsTestKit(edges, """
                rate-limit: {responses-per-second: 0}
                names: [{name: www}, {name: many, answers: 40}]
                """);
    }

    @AfterAll
    static void stop() {
        if (kit != null) {
            kit.close();
        }
    }

    @Test
    void digGetsTheNearestEdgeWithEcsScope() throws Exception {
        String out = dig("www.cdn.example.test", "A", "+subnet=203.0.113.0/24");
        assertThat(out).contains("status: NOERROR").contains("flags: qr aa rd;");   // no ra: no recursion
        assertThat(out).containsPattern("www\\.cdn\\.example\\.test\\.\\s+30\\s+IN\\s+A\\s+10\\.3\\.0\\.1");
        assertThat(out).contains("CLIENT-SUBNET: 203.0.113.0/24/24");
        String v6 = dig("www.cdn.example.test", "AAAA", "+subnet=2001:db8:2000:1200::/56");
        assertThat(v6).containsPattern("IN\\s+AAAA\\s+fd00:2::1").contains("CLIENT-SUBNET: 2001:db8:2000:1200::/56/36");
        String noEcs = dig("www.cdn.example.test", "A");
        assertThat(noEcs).containsPattern("IN\\s+A\\s+10\\.2\\.0\\.1");   // 127.0.0.1 is London in the test database
    }

    @Test
    void digSeesEveryResponseCode() throws Exception {
        assertThat(dig("nope.cdn.example.test", "A")).contains("status: NXDOMAIN").containsPattern("IN\\s+SOA\\s+ns1");
        assertThat(dig("www.cdn.example.test", "TXT")).contains("status: NOERROR").contains("ANSWER: 0");
        assertThat(dig("www.example.com", "A")).contains("status: REFUSED");
        assertThat(dig("www.cdn.example.test", "ANY")).contains("RFC8482");
        // dig clears the bits past the prefix itself; the unmapped /24 beside 203.0.113.0/24 gets a /24 scope
        assertThat(dig("www.cdn.example.test", "A", "+subnet=203.0.113.1/20")).contains("CLIENT-SUBNET: 203.0.112.0/20/24");
    }

    @Test
    void digRetriesTruncatedAnswersOverTcp() throws Exception {
        String udp = dig("many.cdn.example.test", "A", "+noedns", "+ignore");
        assertThat(udp).contains("flags: qr aa tc rd;").contains("ANSWER: 0");
        String retried = dig("many.cdn.example.test", "A", "+noedns");
        assertThat(retried).contains("ANSWER: 40");
        String tcp = dig("many.cdn.example.test", "A", "+tcp", "+subnet=192.0.2.0/24");
        assertThat(tcp).contains("ANSWER: 40").contains("CLIENT-SUBNET: 192.0.2.0/24/24")
                .containsPattern("many\\.cdn\\.example\\.test\\.\\s+30\\s+IN\\s+A\\s+10\\.2\\.0\\.1");
    }

    private static String dig(String name, String type, String... options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("dig", "@127.0.0.1", "-p", String.valueOf(kit.port()),
                "+time=3", "+tries=1", name, type));
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }

    static boolean digAvailable() {
        if (runs("dig", "-v")) {
            return true;
        }
        if (!"root".equals(System.getProperty("user.name")) || !runs("apt-get", "--version")) {
            System.out.println("GeoDnsDigTest: dig missing and not root: skipped");
            return false;
        }
        return runs("apt-get", "install", "-y", "-qq", "dnsutils") && runs("dig", "-v");
    }

    private static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(180, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
