package dev.outpost.controlplane.dns;

import dev.outpost.config.DnsSettings;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Turns one query packet into one response packet (or nothing: dropped). Stateless apart from
 * its collaborators, safe on any number of threads, and never throws: whatever the bytes, the
 * answer is a response, a FORMERR, or a drop. dnsjava does all wire parsing and writing.
 *
 * <p>Start at {@link #handle}: parse, validate (opcode, one question, one OPT of version 0, a
 * well-formed ECS option), classify the name with {@link ZoneModel}, answer pool names through
 * {@link Steering}, then size the response for the transport (TC over UDP past the
 * requester's buffer: 512 without EDNS, capped at {@code max-udp-payload}).
 */
final class DnsHandler {

    enum Transport { UDP, TCP }

    private static final Logger LOG = LoggerFactory.getLogger(DnsHandler.class);
    private static final int BADVERS = 16;

    private final ZoneModel zones;
    private final Steering steering;
    private final GeoIpDatabase geo;
    private final DnsMetrics metrics;
    private final DnsSettings settings;

    DnsHandler(ZoneModel zones, Steering steering, GeoIpDatabase geo, DnsMetrics metrics, DnsSettings settings) {
        this.zones = zones;
        this.steering = steering;
        this.geo = geo;
        this.metrics = metrics;
        this.settings = settings;
    }

    /**
     * The response to {@code packet[0..length)} from {@code source}, or null to send nothing.
     * {@code truncate} forces a truncated (TC) response: the rate limiter's "slip".
     */
    byte[] handle(byte[] packet, int length, InetAddress source, Transport transport, boolean truncate) {
        long start = System.nanoTime();
        try {
            return answer(packet, length, source, transport, truncate);
        } catch (RuntimeException | StackOverflowError e) {
            LOG.warn("dns: failed to answer a {}-byte packet from {}: {}", length, source, e.toString());
            metrics.dropped("internal-error");
            return null;
        } finally {
            metrics.latency().record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private byte[] answer(byte[] packet, int length, InetAddress source, Transport transport, boolean truncate) {
        if (length < Header.LENGTH) {
            metrics.dropped("short");
            return null;
        }
        if ((packet[2] & 0x80) != 0) {
            // a response, not a query: answering could start a loop between two servers
            metrics.dropped("response");
            return null;
        }
        Message query;
        try {
            query = new Message(Arrays.copyOf(packet, length));
        } catch (Exception e) {
            return formErr(packet, length);
        }
        Header qh = query.getHeader();
        Message resp = new Message(qh.getID());
        Header rh = resp.getHeader();
        rh.setFlag(Flags.QR);
        rh.setOpcode(qh.getOpcode());
        if (qh.getFlag(Flags.RD)) {
            rh.setFlag(Flags.RD);
        }
        if (qh.getFlag(Flags.CD)) {
            rh.setFlag(Flags.CD);
        }
        List<Record> question = query.getSection(Section.QUESTION);
        if (question.size() == 1) {
            resp.addRecord(question.getFirst(), Section.QUESTION);
        }
        int qtype = question.size() == 1 ? question.getFirst().getType() : -1;
        Reply r = new Reply(resp, qtype, transport, truncate);
        OPTRecord opt = query.getOPT();
        int opts = 0;
        for (Record rec : query.getSection(Section.ADDITIONAL)) {
            if (rec.getType() == Type.OPT) {
                opts++;
            }
        }
        if (opts > 1) {
            return r.finish(Rcode.FORMERR);
        }
        r.opt = opt;
        if (qh.getOpcode() != Opcode.QUERY) {
            return r.finish(Rcode.NOTIMP);
        }
        if (question.size() != 1) {
            return r.finish(Rcode.FORMERR);
        }
        if (opt != null && opt.getVersion() != 0) {
            return r.finish(BADVERS);
        }
        ClientSubnetOption ecs = null;
        if (opt != null) {
            List<EDNSOption> subnet = opt.getOptions(EDNSOption.Code.CLIENT_SUBNET);
            if (subnet.size() > 1) {
                return r.finish(Rcode.FORMERR);
            }
            if (subnet.size() == 1) {
                if (!(subnet.getFirst() instanceof ClientSubnetOption c) || c.getScopePrefixLength() != 0) {
                    return r.finish(Rcode.FORMERR);
                }
                ecs = c;
                r.ecs = c;
                metrics.ecs();
            }
        }
        Record q = question.getFirst();
        if (qtype == Type.OPT || qtype == Type.TSIG || qtype == Type.TKEY) {
            return r.finish(Rcode.FORMERR);
        }
        if (q.getDClass() != DClass.IN && q.getDClass() != DClass.ANY) {
            return r.finish(Rcode.REFUSED);
        }
        ZoneModel.Target target = zones.find(q.getName());
        if (target instanceof ZoneModel.Outside) {
            // not ours, and we never recurse
            return r.finish(Rcode.REFUSED);
        }
        if (qtype == Type.AXFR || qtype == Type.IXFR) {
            return r.finish(Rcode.REFUSED);
        }
        rh.setFlag(Flags.AA);
        Name name = q.getName();
        return switch (target) {
            case ZoneModel.Missing m -> r.negative(m.zone(), Rcode.NXDOMAIN);
            case ZoneModel.Empty e -> r.negative(e.zone(), Rcode.NOERROR);
            case ZoneModel.Host h -> {
                if (qtype == Type.ANY) {
                    yield r.any(name, h.zone().soa().getTTL());
                }
                List<InetAddress> addrs = h.addresses().stream()
                        .filter(a -> (qtype == Type.AAAA) == (a instanceof Inet6Address)).toList();
                if ((qtype != Type.A && qtype != Type.AAAA) || addrs.isEmpty()) {
                    yield r.negative(h.zone(), Rcode.NOERROR);
                }
                addrs.forEach(a -> resp.addRecord(address(name, h.zone().soa().getTTL(), a), Section.ANSWER));
                yield r.finish(Rcode.NOERROR);
            }
            case ZoneModel.Apex a -> {
                if (qtype == Type.SOA) {
                    resp.addRecord(a.zone().soa(), Section.ANSWER);
                    yield r.finish(Rcode.NOERROR);
                }
                if (qtype == Type.NS) {
                    a.zone().ns().forEach(ns -> resp.addRecord(ns, Section.ANSWER));
                    yield r.finish(Rcode.NOERROR);
                }
                yield pool(r, a.zone(), a.pool(), name, qtype, ecs, source);
            }
            case ZoneModel.Pool p -> pool(r, p.zone(), p.pool(), name, qtype, ecs, source);
            case ZoneModel.Outside o -> r.finish(Rcode.REFUSED);
        };
    }

    private byte[] pool(Reply r, ZoneModel.Zone zone, ZoneModel.PoolName pool, Name name, int qtype,
                        ClientSubnetOption ecs, InetAddress source) {
        if (qtype == Type.ANY) {
            return r.any(name, pool.ttlSeconds());
        }
        if (qtype != Type.A && qtype != Type.AAAA) {
            return r.negative(zone, Rcode.NOERROR);
        }
        if (!steering.directoryCurrent()) {
            // this replica cannot know which edges are up (its store is away): let the resolver ask another
            return r.finish(Rcode.SERVFAIL);
        }
        boolean tailored = ecs != null && ecs.getSourcePrefixLength() > 0;
        ClientLocation client = geo.lookup(tailored ? ecs.getAddress() : source);
        Steering.Choice choice = steering.choose(pool.pool(), qtype == Type.AAAA, pool.answers(), client);
        if (choice.addresses().isEmpty()) {
            if (!choice.poolHasEdges()) {
                // nothing to give at all: let the resolver try again soon (or another server)
                return r.finish(Rcode.SERVFAIL);
            }
            return r.negative(zone, Rcode.NOERROR);
        }
        long ttl = choice.degraded() ? Math.min(settings.degradedTtl().toSeconds(), pool.ttlSeconds()) : pool.ttlSeconds();
        for (InetAddress a : choice.addresses()) {
            r.response.addRecord(address(name, ttl, a), Section.ANSWER);
        }
        for (Steering.Edge e : choice.edges()) {
            metrics.answer(e.candidate().region());
        }
        if (ecs != null) {
            r.scope = tailored ? steering.scope(client, choice) : 0;
        }
        return r.finish(Rcode.NOERROR);
    }

    private static Record address(Name name, long ttl, InetAddress a) {
        return a instanceof Inet6Address ? new AAAARecord(name, DClass.IN, ttl, a) : new ARecord(name, DClass.IN, ttl, a);
    }

    /** A response being built: sizes itself for the transport and counts itself when finished. */
    private final class Reply {
        final Message response;
        final int qtype;
        final Transport transport;
        final boolean truncate;
        OPTRecord opt;
        ClientSubnetOption ecs;
        int scope;

        Reply(Message response, int qtype, Transport transport, boolean truncate) {
            this.response = response;
            this.qtype = qtype;
            this.transport = transport;
            this.truncate = truncate;
        }

        byte[] negative(ZoneModel.Zone zone, int rcode) {
            response.addRecord(zone.negativeSoa(), Section.AUTHORITY);
            return finish(rcode);
        }

        /** RFC 8482: one synthesized HINFO instead of every RRset. */
        byte[] any(Name name, long ttl) {
            response.addRecord(new HINFORecord(name, DClass.IN, ttl, "RFC8482", ""), Section.ANSWER);
            return finish(Rcode.NOERROR);
        }

        byte[] finish(int rcode) {
            Header h = response.getHeader();
            h.setRcode(rcode & 0xF);
            if (opt != null) {
                List<EDNSOption> options = new ArrayList<>(1);
                if (ecs != null) {
                    options.add(new ClientSubnetOption(ecs.getSourcePrefixLength(), scope, ecs.getAddress()));
                }
                response.addRecord(new OPTRecord(settings.maxUdpPayload(), rcode >>> 4, 0, 0, options), Section.ADDITIONAL);
            }
            metrics.query(qtype, rcode);
            byte[] wire = response.toWire();
            if (transport == Transport.UDP) {
                int limit = opt == null ? 512 : Math.max(512, Math.min(opt.getPayloadSize(), settings.maxUdpPayload()));
                if (truncate || wire.length > limit) {
                    return truncated();
                }
            }
            return wire;
        }

        private byte[] truncated() {
            Header from = response.getHeader();
            Message t = new Message(from.getID());
            Header h = t.getHeader();
            for (int f : new int[] {Flags.QR, Flags.AA, Flags.RD, Flags.CD}) {
                if (from.getFlag(f)) {
                    h.setFlag(f);
                }
            }
            h.setOpcode(from.getOpcode());
            h.setRcode(from.getRcode());
            h.setFlag(Flags.TC);
            response.getSection(Section.QUESTION).forEach(x -> t.addRecord(x, Section.QUESTION));
            response.getSection(Section.ADDITIONAL).stream().filter(x -> x.getType() == Type.OPT)
                    .forEach(x -> t.addRecord(x, Section.ADDITIONAL));
            return t.toWire();
        }
    }

    /** FORMERR for bytes dnsjava could not parse: id, opcode and RD from the header, the question if it reads. */
    private byte[] formErr(byte[] p, int length) {
        int id = (p[0] & 0xff) << 8 | (p[1] & 0xff);
        Message m = new Message(id);
        Header h = m.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode((p[2] >> 3) & 0xF);
        if ((p[2] & 0x01) != 0) {
            h.setFlag(Flags.RD);
        }
        h.setRcode(Rcode.FORMERR);
        int qtype = -1;
        int qdcount = (p[4] & 0xff) << 8 | (p[5] & 0xff);
        if (qdcount == 1) {
            try {
                DNSInput in = new DNSInput(Arrays.copyOf(p, length));
                in.jump(Header.LENGTH);
                Name n = new Name(in);
                int type = in.readU16();
                int dclass = in.readU16();
                m.addRecord(Record.newRecord(n, type, dclass), Section.QUESTION);
                qtype = type;
            } catch (Exception | StackOverflowError e) {
                // no question to echo
            }
        }
        metrics.query(qtype, Rcode.FORMERR);
        return m.toWire();
    }
}
