package dev.outpost.controlplane.dns;

import static dev.outpost.controlplane.dns.DnsTestKit.addresses;
import static dev.outpost.controlplane.dns.DnsTestKit.ecs;
import static dev.outpost.controlplane.dns.DnsTestKit.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Edges that turn unhealthy or are drained drop out at once; under total failure the answer is bounded, short-lived, never empty. */
class GeoDnsFailoverTest {

    static final String WWW = DnsTestKit.ZONE;  // the apex answers with every edge
    static final String TOKYO = "203.0.113.0/24";

    @Test
    void anUnhealthyEdgeDropsOutAtTheNextDirectoryVersionAndComesBack() {
        try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), "rate-limit: {responses-per-second: 0}")) {
            assertThat(addresses(kit.send(query(WWW, Type.A, TOKYO)))).containsExactly("10.3.0.1");
            kit.edges.healthy("tyo-1", false);
            Message r = kit.send(query(WWW, Type.A, TOKYO));
            assertThat(addresses(r)).containsExactly("10.6.0.1");   // Sydney is next nearest
            assertThat(r.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(30);  // one healthy edge is enough
            kit.edges.healthy("tyo-1", true);
            assertThat(addresses(kit.send(query(WWW, Type.AAAA, TOKYO)))).containsExactly("fd00:3:0:0:0:0:0:1");
        }
    }

    @Test
    void answersOfSeenLocationsArePrecomputedWhenTheDirectoryChanges() {
        try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), "rate-limit: {responses-per-second: 0}")) {
            for (String subnet : List.of(TOKYO, "192.0.2.0/24", "198.51.100.0/24", "41.1.2.0/24")) {
                kit.send(query(WWW, Type.A, subnet));
                kit.send(query(WWW, Type.AAAA, subnet));
            }
            assertThat(kit.server.precomputedAnswers()).isEqualTo(8);
            kit.edges.healthy("tyo-1", false);
            // the first look at the new version (here the accessor, in production the next query) starts
            // recomputing all eight answers in the background, before any of those clients asks again
            Await.until("answers precomputed for the new directory version", Duration.ofSeconds(5),
                    () -> kit.server.precomputedAnswers() == 8);
            assertThat(addresses(kit.send(query(WWW, Type.A, TOKYO)))).containsExactly("10.6.0.1");
        }
    }

    @Test
    void aDrainedEdgeGetsNoNewClients() {
        try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), "rate-limit: {responses-per-second: 0}")) {
            kit.edges.drained("fra-1", true);
            assertThat(addresses(kit.send(query(WWW, Type.A, "192.0.2.0/24")))).doesNotContain("10.2.0.1");
            DnsExplanation x = kit.server.explain(WWW, "192.0.2.1");
            assertThat(x.candidates()).filteredOn(c -> c.nodeId().equals("fra-1"))
                    .singleElement().satisfies(c -> {
                        assertThat(c.drained()).isTrue();
                        assertThat(c.chosen()).isFalse();
                    });
        }
    }

    @Test
    void withFewerHealthyEdgesThanAnswersTheTtlDrops() {
        try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), """
                rate-limit: {responses-per-second: 0}
                answers: 3
                degraded-ttl: 4s
                """)) {
            Message all = kit.send(query(DnsTestKit.ZONE, Type.A, TOKYO));
            assertThat(addresses(all)).hasSize(3);
            assertThat(all.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(30);
            for (String id : List.of("nyc-1", "fra-1", "gru-1", "jnb-1")) {
                kit.edges.healthy(id, false);
            }
            Message two = kit.send(query(DnsTestKit.ZONE, Type.A, TOKYO));
            assertThat(addresses(two)).containsExactly("10.3.0.1", "10.6.0.1");
            assertThat(two.getSection(Section.ANSWER)).allSatisfy(r -> assertThat(r.getTTL()).isEqualTo(4));
        }
    }

    @Test
    void withNoHealthyEdgeTheAnswerIsABoundedListOfTheNearestNeverEmpty() {
        try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), """
                rate-limit: {responses-per-second: 0}
                answers: 4
                fallback-answers: 2
                """)) {
            for (EdgeCandidate e : kit.edges.edges()) {
                kit.edges.healthy(e.nodeId(), false);
            }
            kit.edges.drained("tyo-1", true);
            Message r = kit.send(query(DnsTestKit.ZONE, Type.A, TOKYO));
            assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
            // undrained first (Sydney, then Johannesburg...), bounded by fallback-answers
            assertThat(addresses(r)).hasSize(2).startsWith("10.6.0.1").doesNotContain("10.3.0.1");
            assertThat(r.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(5);
            assertThat(kit.server.explain(DnsTestKit.ZONE, "203.0.113.9").policy()).isEqualTo("nearest+degraded");
        }
    }

    @Test
    void aPoolWithNoEdgeAtAllUsesTheStaticFallbackOrServfail() {
        FakeEdgeDirectory none = new FakeEdgeDirectory();
        try (DnsTestKit kit = new DnsTestKit(none, """
                rate-limit: {responses-per-second: 0}
                static-fallback: [192.0.2.80, "2001:db8::80"]
                """)) {
            Message r = kit.send(query(DnsTestKit.ZONE, Type.A, TOKYO));
            assertThat(addresses(r)).containsExactly("192.0.2.80");
            assertThat(r.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(5);
            assertThat(ecs(r).orElseThrow().getScopePrefixLength()).isZero();  // the same for every client
            assertThat(addresses(kit.send(query(DnsTestKit.ZONE, Type.AAAA)))).containsExactly("2001:db8:0:0:0:0:0:80");
        }
        try (DnsTestKit kit = new DnsTestKit(new FakeEdgeDirectory(), "rate-limit: {responses-per-second: 0}")) {
            assertThat(kit.send(query(DnsTestKit.ZONE, Type.A)).getRcode()).isEqualTo(Rcode.SERVFAIL);
            // an edge registers: answered at once
            kit.edges.put(FakeEdgeDirectory.edge("late-1", "eu-central", "50.11,8.68", "10.7.0.1"));
            assertThat(addresses(kit.send(query(DnsTestKit.ZONE, Type.A)))).containsExactly("10.7.0.1");
            // IPv4 only: AAAA is NODATA, not SERVFAIL
            Message aaaa = kit.send(query(DnsTestKit.ZONE, Type.AAAA));
            assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
            assertThat(aaaa.getSection(Section.AUTHORITY)).extracting(org.xbill.DNS.Record::getType).containsExactly(Type.SOA);
        }
    }

    @Test
    void aSingleEdgeAnswerDoesNotDependOnTheClientSoItsScopeIsZero() {
        FakeEdgeDirectory one = new FakeEdgeDirectory().put(FakeEdgeDirectory.edge("only", "eu-central", "50.11,8.68", "10.8.0.1"));
        try (DnsTestKit kit = new DnsTestKit(one, "rate-limit: {responses-per-second: 0}")) {
            Message r = kit.send(query(DnsTestKit.ZONE, Type.A, TOKYO));
            assertThat(addresses(r)).containsExactly("10.8.0.1");
            assertThat(ecs(r).orElseThrow().getScopePrefixLength()).isZero();
        }
    }

    @Test
    void weightsShareClientsAmongEdgesAboutAsNear(@TempDir Path dir) {
        // two edges in Frankfurt, one with weight 3: over many locations it gets about 3/4 of them
        FakeEdgeDirectory pair = new FakeEdgeDirectory()
                .put(FakeEdgeDirectory.edge("fra-a", "eu-central", "50.11,8.68", 3.0, List.of(), "10.2.0.1"))
                .put(FakeEdgeDirectory.edge("fra-b", "eu-central", "50.12,8.70", 1.0, List.of(), "10.2.0.2"));
        try (DnsTestKit kit = new DnsTestKit(pair, "rate-limit: {responses-per-second: 0}\nnear-km: 20000")) {
            Steering steering = new Steering(DnsTestKit.config("near-km: 20000", null).dns(), pair);
            int a = 0;
            int n = 2000;
            for (int i = 0; i < n; i++) {
                Steering.LocationKey key = new Steering.LocationKey(
                        new dev.outpost.config.Coordinates(-60 + i * 0.06, -170 + i * 0.17), "XX", "EU", -1);
                if (steering.choose(null, false, 1, key).edges().getFirst().candidate().nodeId().equals("fra-a")) {
                    a++;
                }
            }
            assertThat(a / (double) n).isBetween(0.70, 0.80);
            // and one location always gets the same edge
            String first = addresses(kit.send(query(DnsTestKit.ZONE, Type.A, TOKYO))).getFirst();
            for (int i = 0; i < 5; i++) {
                assertThat(addresses(kit.send(query(DnsTestKit.ZONE, Type.A, TOKYO)))).containsExactly(first);
            }
        }
    }

    @Test
    void aChangedGeoIpFileIsReloaded(@TempDir Path dir) throws IOException {
        Path db = dir.resolve("city.mmdb");
        Files.copy(DnsTestKit.testDatabase(), db);
        try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), """
                rate-limit: {responses-per-second: 0}
                geoip-check-interval: 100ms
                """, db)) {
            assertThat(addresses(kit.send(query(WWW, Type.A, "198.51.100.0/24")))).containsExactly("10.1.0.1");
            Path next = dir.resolve("city.mmdb.new");
            Files.copy(DnsTestKit.movedDatabase(), next);
            Files.move(next, db, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            // the moved database puts 198.51.100.0/24 in Tokyo
            Await.until("the reloaded database steers 198.51.100.0/24 to Tokyo", Duration.ofSeconds(10),
                    () -> addresses(kit.send(query(WWW, Type.A, "198.51.100.0/24"))).equals(List.of("10.3.0.1")));
            assertThat(kit.metric("outpost_dns_geoip_reloads_total")).isEqualTo(1);
            // a broken file leaves the last good database in place
            Files.writeString(db, "not a database");
            assertThat(kit.server.reloadGeoIpNow()).isFalse();
            assertThat(addresses(kit.send(query(WWW, Type.A, "198.51.100.0/24")))).containsExactly("10.3.0.1");
        }
    }
}
