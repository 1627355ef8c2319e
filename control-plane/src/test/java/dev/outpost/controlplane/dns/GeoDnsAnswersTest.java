package dev.outpost.controlplane.dns;

import static dev.outpost.controlplane.dns.DnsTestKit.addresses;
import static dev.outpost.controlplane.dns.DnsTestKit.ecs;
import static dev.outpost.controlplane.dns.DnsTestKit.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Who gets which edge: clients on every continent, with and without ECS, IPv4 and IPv6, pools and overrides. */
class GeoDnsAnswersTest {

    static DnsTestKit kit;

    @BeforeAll
    static void start() {
        FakeEdgeDirectory edges = FakeEdgeDirectory.world()
                .put(FakeEdgeDirectory.edge("img-fra", "eu-central", "50.11,8.68", 1.0, List.of("img"), "10.12.0.1"))
                .put(FakeEdgeDirectory.edge("img-tyo", "ap-northeast", "35.68,139.69", 1.0, List.of("img"), "10.13.0.1"))
                .update("nyc-1", e -> new EdgeCandidate(e.nodeId(), e.region(), e.coordinates(), e.addresses(), true,
                        false, 1.0, List.of("www", "video")))
                .update("fra-1", e -> new EdgeCandidate(e.nodeId(), e.region(), e.coordinates(), e.addresses(), true,
                        false, 1.0, List.of("www", "video")));
        kit = new DnsTestKit(edges, """
                rate-limit: {responses-per-second: 0}
                zones: [edge.example.net]
                names:
                  - {name: www}
                  - {name: img, pool: img}
                  - {name: video, pool: video, answers: 2, ttl: 60s}
                  - {name: two, pool: www, answers: 2}
                  - {name: static.edge.example.net, pool: img}
                  - {name: edge.example.net, pool: video}
                fallback: {region: eu-central}
                overrides:
                  - {country: AU, region: ap-northeast}
                  - {network: 198.51.100.128/25, region: sa-east}
                """);
    }

    @AfterAll
    static void stop() {
        kit.close();
    }

    @ParameterizedTest(name = "{0} gets {1}")
    @CsvSource({
            "198.51.100.0/24, 10.1.0.1, 25",   // New York (the /25 override excluded from the scope)
            "203.0.113.0/24, 10.3.0.1, 24",    // Tokyo
            "192.0.2.0/24, 10.2.0.1, 24",      // Frankfurt
            "187.12.34.0/24, 10.4.0.1, 11",    // São Paulo, database network 187.0.0.0/11
            "41.1.2.0/24, 10.5.0.1, 11",       // Johannesburg
            "122.56.1.0/24, 10.6.0.1, 14",     // Auckland: Sydney is nearest
            "12.34.56.0/24, 10.1.0.1, 8",      // New York, 12.0.0.0/8: the scope is aggregated, not /24
            "81.2.3.0/24, 10.2.0.1, 12",       // London: Frankfurt
    })
    void ipv4ClientsWithEcsGetTheirNearestEdgeAndAnAggregatedScope(String subnet, String expected, int scope) {
        Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.A, subnet));
        assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(addresses(r)).containsExactly(expected);
        ClientSubnetOption e = ecs(r).orElseThrow();
        assertThat(e.getSourcePrefixLength()).isEqualTo(Integer.parseInt(subnet.split("/")[1]));
        assertThat(e.getAddress().getHostAddress()).isEqualTo(subnet.split("/")[0]);
        assertThat(e.getScopePrefixLength()).isEqualTo(scope);
        assertThat(r.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(30);
    }

    @ParameterizedTest(name = "{0} gets {1}")
    @CsvSource({
            "2001:db8:1000:ab00::/56, fd00:1:0:0:0:0:0:1, 36",
            "2001:db8:2000:1200::/56, fd00:2:0:0:0:0:0:1, 36",
            "2001:db8:3000::/56, fd00:3:0:0:0:0:0:1, 36",
            "2001:db8:4000::/56, fd00:4:0:0:0:0:0:1, 36",
            "2001:db8:5000::/56, fd00:5:0:0:0:0:0:1, 36",
            "2001:db8:6000::/56, fd00:3:0:0:0:0:0:1, 36",  // Sydney, AU: the country override sends it to Tokyo
            "2a00:1450:4001::/56, fd00:2:0:0:0:0:0:1, 12",
    })
    void ipv6ClientsGetAaaaOfTheirNearestEdge(String subnet, String expected, int scope) {
        Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.AAAA, subnet));
        assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(addresses(r)).containsExactly(expected);
        assertThat(ecs(r).orElseThrow().getScopePrefixLength()).isEqualTo(scope);
    }

    @Test
    void ipv6SubnetAskingForIpv4AnswersByLocationToo() {
        Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.A, "2001:db8:3000::/56"));
        assertThat(addresses(r)).containsExactly("10.3.0.1");
    }

    @Test
    void withoutEcsTheResolversOwnAddressIsUsed() {
        // the test database puts 127.0.0.0/8 in London: Frankfurt is nearest
        Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.A));
        assertThat(addresses(r)).containsExactly("10.2.0.1");
        assertThat(r.getOPT()).isNull();
        Message withEdns = kit.send(query("www." + DnsTestKit.ZONE, Type.A, null));
        assertThat(addresses(withEdns)).containsExactly("10.2.0.1");
        assertThat(ecs(withEdns)).isEmpty();
    }

    @Test
    void zeroSourcePrefixMeansDoNotTailorAndGetsScopeZero() {
        Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.A, "0.0.0.0/0"));
        assertThat(addresses(r)).containsExactly("10.2.0.1");   // by the resolver's address (London)
        assertThat(ecs(r).orElseThrow().getScopePrefixLength()).isZero();
    }

    @Test
    void unknownAndPrivateClientsFollowTheConfiguredFallbackNeverZeroZero() {
        for (String subnet : List.of("10.20.30.0/24", "192.168.1.0/24", "100.64.1.0/24", "2001:db8:0:1200::/56")) {
            Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.A, subnet));
            assertThat(addresses(r)).as(subnet).containsExactly("10.2.0.1");  // fallback region eu-central
            int scope = ecs(r).orElseThrow().getScopePrefixLength();
            assertThat(scope).as("the fallback holds only for the unmapped block around " + subnet).isPositive();
        }
        // 0,0 would have been nearest to Johannesburg/Lagos side; eu-central proves the policy was applied
        DnsExplanation x = kit.server.explain("www." + DnsTestKit.ZONE, "10.20.30.40");
        assertThat(x.policy()).isEqualTo("fallback");
        assertThat(x.client().located()).isFalse();
    }

    @Test
    void countryOverrideWinsOverDistance() {
        Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.A, "1.120.5.0/24"));  // Sydney, AU
        assertThat(addresses(r)).containsExactly("10.3.0.1");  // Tokyo by override, not syd-1
        assertThat(ecs(r).orElseThrow().getScopePrefixLength()).isEqualTo(13);
    }

    @Test
    void networkOverrideAppliesOnlyInsideItsNetworkAndScopesToIt() {
        Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.A, "198.51.100.200/32"));
        assertThat(addresses(r)).containsExactly("10.4.0.1");
        assertThat(ecs(r).orElseThrow().getScopePrefixLength()).isEqualTo(25);
    }

    @Test
    void poolsSendNamesToDifferentEdges() {
        // img is served by img-* edges and by edges with no pools (every name); not by nyc-1/fra-1 (www, video)
        Message img = kit.send(query("img." + DnsTestKit.ZONE, Type.A, "192.0.2.0/24"));
        assertThat(addresses(img)).containsExactly("10.12.0.1");
        Message imgAsia = kit.send(query("img." + DnsTestKit.ZONE, Type.A, "203.0.113.0/24"));
        // img-tyo and tyo-1 (no pools: serves every name) stand in the same place: either may answer
        assertThat(addresses(imgAsia)).hasSize(1).first().isIn("10.13.0.1", "10.3.0.1");
        // video: two answers, 60s, nyc-1 and fra-1 listed only for www/video, plus the pool-less edges
        Message video = kit.send(query("video." + DnsTestKit.ZONE, Type.A, "12.1.0.0/24"));
        assertThat(addresses(video)).containsExactly("10.1.0.1", "10.2.0.1");
        assertThat(video.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(60);
        // nyc-1 is not in the img pool: a New York client goes elsewhere for img
        Message imgNy = kit.send(query("img." + DnsTestKit.ZONE, Type.A, "12.1.0.0/24"));
        assertThat(addresses(imgNy)).containsExactly("10.12.0.1");
    }

    @Test
    void severalZonesAreServed() {
        Message apex = kit.send(query("edge.example.net", Type.A, "203.0.113.0/24"));
        assertThat(apex.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(apex.getHeader().getFlag(org.xbill.DNS.Flags.AA)).isTrue();
        assertThat(addresses(apex)).containsExactly("10.3.0.1");
        Message stat = kit.send(query("static.edge.example.net", Type.A, "192.0.2.0/24"));
        assertThat(addresses(stat)).containsExactly("10.12.0.1");
        Message soa = kit.send(query("edge.example.net", Type.SOA));
        assertThat(soa.getSection(Section.ANSWER).getFirst().getName().toString()).isEqualTo("edge.example.net.");
    }

    @Test
    void severalAnswersAreNearestFirst() {
        Message r = kit.send(query("two." + DnsTestKit.ZONE, Type.A, "192.0.2.0/24"));  // Frankfurt
        assertThat(addresses(r)).containsExactly("10.2.0.1", "10.1.0.1");  // then New York (6,200 km)
        Message tokyo = kit.send(query("two." + DnsTestKit.ZONE, Type.A, "203.0.113.0/24"));
        assertThat(addresses(tokyo)).containsExactly("10.3.0.1", "10.6.0.1");  // then Sydney
    }

    @Test
    void tcpAnswersCarryEcsToo() {
        Message r = kit.send(query("www." + DnsTestKit.ZONE, Type.A, "203.0.113.0/24"), true);
        assertThat(addresses(r)).containsExactly("10.3.0.1");
        assertThat(ecs(r).orElseThrow().getScopePrefixLength()).isEqualTo(24);
    }

    @Test
    void metricsCountQueriesAnswersAndEcs() {
        double before = kit.metric("outpost_dns_ecs_queries_total");
        double tokyo = kit.metric("outpost_dns_answers_total{region=\"ap-northeast\"}");
        kit.send(query("www." + DnsTestKit.ZONE, Type.A, "203.0.113.0/24"));
        assertThat(kit.metric("outpost_dns_ecs_queries_total")).isEqualTo(before + 1);
        assertThat(kit.metric("outpost_dns_answers_total{region=\"ap-northeast\"}")).isEqualTo(tokyo + 1);
        assertThat(kit.metric("outpost_dns_queries_total{qtype=\"A\",rcode=\"NOERROR\"}")).isPositive();
        assertThat(kit.metrics()).contains("outpost_dns_query_seconds_count");
    }
}
