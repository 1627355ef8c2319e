package dev.outpost.controlplane.dns;

import static dev.outpost.controlplane.dns.DnsTestKit.addresses;
import static dev.outpost.controlplane.dns.DnsTestKit.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** DNS correctness: every response code, SOA/NS, negative answers, echoes, ANY, EDNS and ECS errors, TC and TCP. */
class GeoDnsProtocolTest {

    static DnsTestKit kit;
    static final String WWW = "www." + DnsTestKit.ZONE;

    @BeforeAll
    static void start() {
        FakeEdgeDirectory edges = FakeEdgeDirectory.world();
        // 64 more edges around the world so one answer can exceed 512 and 1232 bytes
        for (int i = 0; i < 64; i++) {
            edges.put(FakeEdgeDirectory.edge("many-" + i, "many", (i - 32) + "," + (i * 5 - 160), 1.0,
                    java.util.List.of("many"), "10.9.0." + (i + 1), "fd00:9::" + Integer.toHexString(i + 1)));
        }
        kit = new DnsTestKit(edges, """
                rate-limit: {responses-per-second: 0}
                names:
                  - {name: www}
                  - {name: a.b}
                  - {name: many, answers: 64}
                nameservers:
                  - {name: ns1, addresses: [192.0.2.53, "2001:db8::53"]}
                  - {name: ns2.example.net}
                """);
    }

    @AfterAll
    static void stop() {
        kit.close();
    }

    @Test
    void soaAndNsAtTheApex() {
        Message soa = kit.send(query(DnsTestKit.ZONE, Type.SOA));
        assertThat(soa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(soa.getHeader().getFlag(Flags.AA)).isTrue();
        SOARecord s = (SOARecord) soa.getSection(Section.ANSWER).getFirst();
        assertThat(s.getHost().toString()).isEqualTo("ns1.cdn.example.test.");
        assertThat(s.getAdmin().toString()).isEqualTo("hostmaster.cdn.example.test.");
        assertThat(s.getMinimum()).isEqualTo(30);
        Message ns = kit.send(query(DnsTestKit.ZONE, Type.NS));
        assertThat(ns.getSection(Section.ANSWER)).extracting(r -> ((NSRecord) r).getTarget().toString())
                .containsExactly("ns1.cdn.example.test.", "ns2.example.net.");
        Message glue = kit.send(query("ns1." + DnsTestKit.ZONE, Type.A));
        assertThat(addresses(glue)).containsExactly("192.0.2.53");
        Message glue6 = kit.send(query("ns1." + DnsTestKit.ZONE, Type.AAAA));
        assertThat(addresses(glue6)).containsExactly("2001:db8:0:0:0:0:0:53");
    }

    @Test
    void unknownNamesGetNxdomainWithTheSoaAndTheNegativeTtl() {
        Message r = kit.send(query("nope." + DnsTestKit.ZONE, Type.A));
        assertThat(r.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(r.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(r.getSection(Section.ANSWER)).isEmpty();
        Record soa = r.getSection(Section.AUTHORITY).getFirst();
        assertThat(soa.getType()).isEqualTo(Type.SOA);
        assertThat(soa.getTTL()).isEqualTo(30);   // min(SOA TTL 1h, minimum 30s)
        assertThat(kit.send(query("x.www." + DnsTestKit.ZONE, Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void withoutNamesTheApexAndWwwAnswerAndNothingElse() {
        try (DnsTestKit plain = new DnsTestKit(FakeEdgeDirectory.world(), "rate-limit: {responses-per-second: 0}")) {
            assertThat(addresses(plain.send(query(WWW, Type.A, "203.0.113.0/24")))).containsExactly("10.3.0.1");
            assertThat(addresses(plain.send(query(DnsTestKit.ZONE, Type.A, "203.0.113.0/24")))).containsExactly("10.3.0.1");
            assertThat(plain.send(query("img." + DnsTestKit.ZONE, Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        }
        try (DnsTestKit apexOnly = new DnsTestKit(FakeEdgeDirectory.world(), "rate-limit: {responses-per-second: 0}\nnames: []")) {
            assertThat(apexOnly.send(query(WWW, Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        }
    }

    @Test
    void otherTypesOfKnownNamesGetNodata() {
        for (int type : new int[] {Type.TXT, Type.MX, Type.CAA, Type.HTTPS}) {
            Message r = kit.send(query(WWW, type));
            assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(r.getSection(Section.ANSWER)).isEmpty();
            assertThat(r.getSection(Section.AUTHORITY)).extracting(Record::getType).containsExactly(Type.SOA);
        }
        Message ent = kit.send(query("b." + DnsTestKit.ZONE, Type.A));   // empty non-terminal above a.b
        assertThat(ent.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(ent.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void namesOutsideEveryZoneAreRefusedNeverRecursed() {
        Message q = query("www.example.com", Type.A);
        q.getHeader().setFlag(Flags.RD);
        Message r = kit.send(q);
        assertThat(r.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(r.getHeader().getFlag(Flags.RA)).isFalse();
        assertThat(r.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(r.getSection(Section.ANSWER)).isEmpty();
        assertThat(kit.send(query("example.test", Type.A)).getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(parse(kit.raw(query(DnsTestKit.ZONE, Type.AXFR).toWire(), Duration.ofSeconds(2))).getRcode())
                .isEqualTo(Rcode.REFUSED);
        Message chaos = Message.newQuery(Record.newRecord(DnsTestKit.name("version.bind"), Type.TXT, DClass.CH));
        assertThat(kit.send(chaos).getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void idFlagsAndQuestionAreEchoed() {
        Message q = Message.newQuery(Record.newRecord(DnsTestKit.name("WwW.CDN.Example.TEST"), Type.A, DClass.IN));
        q.getHeader().setID(4242);
        q.getHeader().setFlag(Flags.RD);
        q.getHeader().setFlag(Flags.CD);
        Message r = kit.send(q);
        assertThat(r.getHeader().getID()).isEqualTo(4242);
        assertThat(r.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(r.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(r.getHeader().getFlag(Flags.CD)).isTrue();
        assertThat(r.getHeader().getFlag(Flags.RA)).isFalse();
        assertThat(r.getHeader().getOpcode()).isEqualTo(Opcode.QUERY);
        assertThat(r.getQuestion().getName().toString()).isEqualTo("WwW.CDN.Example.TEST.");
        assertThat(r.getQuestion().getType()).isEqualTo(Type.A);
        assertThat(r.getSection(Section.ANSWER).getFirst().getName().toString()).isEqualTo("WwW.CDN.Example.TEST.");
    }

    @Test
    void anyGetsOneMinimalRecordPerRfc8482() {
        Message r = kit.send(query(WWW, Type.ANY));
        assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(r.getSection(Section.ANSWER)).hasSize(1);
        HINFORecord h = (HINFORecord) r.getSection(Section.ANSWER).getFirst();
        assertThat(h.getCPU()).isEqualTo("RFC8482");
        assertThat(kit.send(query(DnsTestKit.ZONE, Type.ANY)).getSection(Section.ANSWER)).hasSize(1);
        assertThat(kit.send(query("nope." + DnsTestKit.ZONE, Type.ANY)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void otherOpcodesAreNotImplemented() {
        Message q = query(WWW, Type.A);
        q.getHeader().setOpcode(Opcode.NOTIFY);
        Message r = parse(kit.raw(q.toWire(), Duration.ofSeconds(2)));
        assertThat(r.getRcode()).isEqualTo(Rcode.NOTIMP);
        assertThat(r.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
    }

    @Test
    void unknownEdnsVersionGetsBadvers() {
        Message q = query(WWW, Type.A);
        q.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        Message r = parse(kit.raw(q.toWire(), Duration.ofSeconds(2)));
        assertThat(r.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(r.getOPT()).isNotNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "address longer than the prefix, 0001 18 00 cb007100",
            "bits set past the prefix,       0001 14 00 cb0071",
            "IPv4 prefix over 32,            0001 21 00 cb00710001",
            "IPv6 prefix over 128,           0002 81 00 20010db8000000000000000000000000ff",
            "scope set in a query,           0001 18 10 cb0071",
            "unknown family,                 0003 18 00 cb0071",
    })
    void malformedClientSubnetGetsFormerr(String what, String option) {
        byte[] ecs = HexFormat.of().parseHex(option.replace(" ", ""));
        byte[] packet = withOpt(query(WWW, Type.A).toWire(), ecs);
        byte[] reply = kit.raw(packet, Duration.ofSeconds(2));
        assertThat(reply).as(what).isNotNull();
        Message r = parse(reply);
        assertThat(r.getRcode()).as(what).isEqualTo(Rcode.FORMERR);
        assertThat(r.getHeader().getID()).isEqualTo(((packet[0] & 0xff) << 8) | (packet[1] & 0xff));
        assertThat(r.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void wellFormedClientSubnetIsAccepted() {
        byte[] packet = withOpt(query(WWW, Type.A).toWire(), HexFormat.of().parseHex("00011800cb0071"));
        Message r = parse(kit.raw(packet, Duration.ofSeconds(2)));
        assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(addresses(r)).containsExactly("10.3.0.1");
    }

    @Test
    void garbageGetsFormerrOrNothing() {
        // a header claiming one question and then nothing
        byte[] header = HexFormat.of().parseHex("abcd01000001000000000000");
        Message r = parse(kit.raw(header, Duration.ofSeconds(2)));
        assertThat(r.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(r.getHeader().getID()).isEqualTo(0xabcd);
        assertThat(r.getHeader().getFlag(Flags.RD)).isTrue();
        // shorter than a header: dropped
        assertThat(kit.raw(new byte[] {1, 2, 3}, Duration.ofMillis(300))).isNull();
        // a response (QR set) is never answered
        byte[] response = query(WWW, Type.A).toWire();
        response[2] |= (byte) 0x80;
        assertThat(kit.raw(response, Duration.ofMillis(300))).isNull();
        // two questions
        Message two = query(WWW, Type.A);
        two.addRecord(Record.newRecord(DnsTestKit.name(WWW), Type.AAAA, DClass.IN), Section.QUESTION);
        assertThat(parse(kit.raw(two.toWire(), Duration.ofSeconds(2))).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void udpAnswersLargerThan512BytesWithoutEdnsAreTruncatedAndTcpCarriesThemWhole() throws IOException {
        Message q = query("many." + DnsTestKit.ZONE, Type.A);
        byte[] reply = kit.raw(q.toWire(), Duration.ofSeconds(2));
        assertThat(reply.length).isLessThanOrEqualTo(512);
        Message tc = parse(reply);
        assertThat(tc.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(tc.getSection(Section.ANSWER)).isEmpty();
        assertThat(tc.getQuestion().getName()).isEqualTo(DnsTestKit.name("many." + DnsTestKit.ZONE));
        // dnsjava's resolver retries over TCP on TC and gets every answer
        Message full = kit.send(query("many." + DnsTestKit.ZONE, Type.A));
        assertThat(full.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(full.getSection(Section.ANSWER)).hasSize(64);
    }

    @Test
    void ednsBufferIsHonouredAndCappedAt1232() throws IOException {
        // 64 A records fit in a 1232-byte EDNS buffer
        Message a = parse(kit.raw(query("many." + DnsTestKit.ZONE, Type.A, null).toWire(), Duration.ofSeconds(2)));
        assertThat(a.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(a.getSection(Section.ANSWER)).hasSize(64);
        // 64 AAAA records (about 1,850 bytes) don't, even when the requester offers 4096
        Message q = query("many." + DnsTestKit.ZONE, Type.AAAA);
        q.addRecord(new OPTRecord(4096, 0, 0, 0), Section.ADDITIONAL);
        byte[] reply = kit.raw(q.toWire(), Duration.ofSeconds(2));
        assertThat(reply.length).isLessThanOrEqualTo(1232);
        Message tc = parse(reply);
        assertThat(tc.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(tc.getOPT().getPayloadSize()).isEqualTo(1232);
        // a resolver that ignores TC sees the truncated answer; TCP has all of it, with ECS
        SimpleResolver ignoring = new SimpleResolver(InetAddress.getLoopbackAddress());
        ignoring.setPort(kit.port());
        ignoring.setIgnoreTruncation(true);
        assertThat(ignoring.send(query("many." + DnsTestKit.ZONE, Type.AAAA, "203.0.113.0/24"))
                .getHeader().getFlag(Flags.TC)).isTrue();
        Message tcp = kit.send(query("many." + DnsTestKit.ZONE, Type.AAAA, "203.0.113.0/24"), true);
        assertThat(tcp.getSection(Section.ANSWER)).hasSize(64);
        assertThat(DnsTestKit.ecs(tcp)).isPresent();
    }

    /** Appends an OPT record holding one ECS option with {@code ecs} as its data, and bumps ARCOUNT. */
    static byte[] withOpt(byte[] query, byte[] ecs) {
        ByteBuffer b = ByteBuffer.allocate(query.length + 11 + 4 + ecs.length);
        b.put(query);
        b.put((byte) 0).putShort((short) Type.OPT).putShort((short) 1232).putInt(0);
        b.putShort((short) (4 + ecs.length)).putShort((short) 8).putShort((short) ecs.length).put(ecs);
        byte[] out = b.array();
        int ar = ((out[10] & 0xff) << 8 | (out[11] & 0xff)) + 1;
        out[10] = (byte) (ar >> 8);
        out[11] = (byte) ar;
        return out;
    }

    static Message parse(byte[] wire) {
        assertThat(wire).as("a reply").isNotNull();
        try {
            return new Message(wire);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
