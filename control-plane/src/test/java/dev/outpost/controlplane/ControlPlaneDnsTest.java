package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.Coordinates;
import dev.outpost.config.HostPort;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.testing.ManualClock;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The control plane with a zone runs GeoDNS over its own registry: a registered edge is in the
 * answer over real UDP, drops out when drained, and {@code /v1/dns/resolve} explains it.
 */
class ControlPlaneDnsTest {

    @TempDir
    Path dir;

    @Test
    void registeredEdgesAreAnsweredOverUdpAndExplainedOverTheApi() throws Exception {
        try (TestControlPlane cp = new TestControlPlane(dir, new ManualClock(), c -> new ControlPlaneConfig(
                c.listen(), new HostPort("127.0.0.1", 0), "cdn.outpost.test", null, c.dataDir(), c.token(),
                c.readToken(), c.writeToken(), c.dns(), c.nodeToken(), c.heartbeatTimeout(), c.purgeRateLimit(),
                c.maxRequestBody(), c.tls(), c.streamKeepalive(), c.shutdownGrace())).start()) {
            for (String[] n : new String[][] {{"fra-1", "eu", "192.0.2.10", "50.1,8.7"}, {"nyc-1", "us", "192.0.2.20", "40.7,-74.0"}}) {
                assertThat(cp.post("/v1/nodes/register", TestControlPlane.NODE, new NodeRegistration(n[0], n[1],
                        NodeConfig.Role.EDGE, Coordinates.parse(n[3]), List.of(n[2]), null, 0L, 0L)).status()).isEqualTo(200);
            }
            SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
            resolver.setPort(cp.cp().dns().udpPort());
            resolver.setTimeout(Duration.ofSeconds(3));
            Message answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromString("www.cdn.outpost.test."), Type.A, DClass.IN)));
            List<String> addresses = answer.getSection(Section.ANSWER).stream()
                    .filter(r -> r instanceof ARecord).map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
            assertThat(addresses).isNotEmpty().isSubsetOf("192.0.2.10", "192.0.2.20");

            JsonNode why = cp.get("/v1/dns/resolve?name=www.cdn.outpost.test&client=203.0.113.7", TestControlPlane.READ)
                    .as(JsonNode.class);
            assertThat(why.get("candidates")).hasSize(2);
            assertThat(why.get("rcode").asText()).isEqualTo("NOERROR");

            // drain one edge everywhere but the first; then the other must be the answer
            String first = addresses.getFirst();
            String drained = first.equals("192.0.2.10") ? "fra-1" : "nyc-1";
            cp.post("/v1/nodes/" + drained + "/drain", TestControlPlane.WRITE, "");
            Message after = resolver.send(Message.newQuery(Record.newRecord(Name.fromString("www.cdn.outpost.test."), Type.A, DClass.IN)));
            assertThat(after.getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                    .map(r -> ((ARecord) r).getAddress().getHostAddress()).toList()).doesNotContain(first);

            assertThat(cp.get("/v1/dns/resolve?name=www.cdn.outpost.test&client=nope", TestControlPlane.READ).status()).isEqualTo(400);
            assertThat(cp.get("/v1/dns/resolve?name=www.cdn.outpost.test&client=203.0.113.7", null).status()).isEqualTo(401);
        }
        try (TestControlPlane off = new TestControlPlane(dir.resolve("off"), new ManualClock()).start()) {
            TestControlPlane.Resp r = off.get("/v1/dns/resolve?name=www.x.test&client=203.0.113.7", TestControlPlane.READ);
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.as(JsonNode.class).get("error").asText()).isEqualTo("dns-off");
        }
    }
}
