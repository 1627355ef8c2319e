package dev.outpost.controlplane.dns;

import static dev.outpost.controlplane.dns.DnsTestKit.addresses;
import static dev.outpost.controlplane.dns.DnsTestKit.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Hostile packets over real sockets: random bytes, every truncation and bit flip of valid
 * queries, oversized datagrams and TCP messages, stalled and abandoned TCP connections. The
 * server answers each with a well-formed response or nothing, and keeps answering valid queries.
 */
class GeoDnsRobustnessTest {

    static DnsTestKit kit;

    @BeforeAll
    static void start() {
        kit = new DnsTestKit(FakeEdgeDirectory.world(), """
                rate-limit: {responses-per-second: 0}
                tcp-max-connections: 8
                tcp-idle-timeout: 2s
                """);
    }

    @AfterAll
    static void stop() {
        kit.close();
    }

    @Test
    void randomTruncatedAndBitFlippedPacketsNeverStopTheServer() throws IOException {
        Random random = new Random(20260101);
        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            byte[] p = new byte[random.nextInt(600)];
            random.nextBytes(p);
            packets.add(p);
        }
        byte[] valid = query("www." + DnsTestKit.ZONE, Type.A, "203.0.113.0/24").toWire();
        for (int len = 0; len < valid.length; len++) {
            packets.add(Arrays.copyOf(valid, len));
        }
        for (int bit = 0; bit < valid.length * 8; bit++) {
            byte[] p = valid.clone();
            p[bit / 8] ^= (byte) (1 << (bit % 8));
            packets.add(p);
        }
        int replies = 0;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.setSoTimeout(150);
            s.setReceiveBufferSize(1 << 20);
            byte[] buf = new byte[65_535];
            for (int i = 0; i < packets.size(); i++) {
                byte[] p = packets.get(i);
                s.send(new DatagramPacket(p, p.length, InetAddress.getLoopbackAddress(), kit.port()));
                if (i % 200 == 199 || i == packets.size() - 1) {
                    replies += drain(s, buf);
                }
            }
        }
        assertThat(replies).isPositive();
        assertStillAnswering();
        assertThat(kit.metric("outpost_dns_dropped_total{reason=\"internal-error\"}")).isZero();
        System.out.printf("robustness: %d hostile datagrams, %d replies, all well-formed, 0 crashes%n",
                packets.size(), replies);
    }

    /** Reads replies until none comes for a while; each must be a well-formed response. */
    private static int drain(DatagramSocket s, byte[] buf) throws IOException {
        int n = 0;
        while (true) {
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            try {
                s.receive(in);
            } catch (SocketTimeoutException e) {
                return n;
            }
            Message m = new Message(Arrays.copyOf(buf, in.getLength()));
            assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
            assertThat(in.getLength()).isLessThanOrEqualTo(1232);
            n++;
        }
    }

    @Test
    void oversizedDatagramsAndTcpMessagesAreRefusedGracefully() throws IOException {
        byte[] valid = query("www." + DnsTestKit.ZONE, Type.A).toWire();
        byte[] big = Arrays.copyOf(valid, 65_000);   // a valid query followed by 64 KB of zeros
        byte[] reply = kit.raw(big, Duration.ofSeconds(2));
        if (reply != null) {
            assertThat(new Message(reply).getHeader().getFlag(Flags.QR)).isTrue();
        }
        // a 65535-byte TCP message of garbage gets FORMERR (or NOTIMP for its random opcode)
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), kit.port())) {
            s.setSoTimeout(3000);
            byte[] garbage = new byte[65_535];
            new Random(7).nextBytes(garbage);
            garbage[2] &= 0x7f;   // not a response
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {(byte) 0xff, (byte) 0xff});
            out.write(garbage);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int len = in.readUnsignedShort();
            byte[] r = in.readNBytes(len);
            Message m = new Message(r);
            assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
            assertThat(m.getHeader().getID()).isEqualTo((garbage[0] & 0xff) << 8 | (garbage[1] & 0xff));
            assertThat(m.getRcode()).isIn(Rcode.FORMERR, Rcode.NOTIMP);
        }
        // a length prefix promising more than is sent, then the client goes away
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), kit.port())) {
            s.getOutputStream().write(new byte[] {0x10, 0x00, 1, 2, 3});
        }
        assertStillAnswering();
    }

    @Test
    void stalledTcpConnectionsAreBoundedAndTimedOut() throws IOException {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), kit.port());
                s.getOutputStream().write(0);   // half a length prefix, then nothing
                stalled.add(s);
            }
            // UDP keeps answering while TCP is saturated
            assertThat(addresses(kit.send(query(DnsTestKit.ZONE, Type.A)))).isNotEmpty();
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
        // the idle timeout frees the slots: TCP answers again
        dev.outpost.testing.Await.until("TCP answers after stalled connections are gone", Duration.ofSeconds(10), () -> {
            try {
                return !addresses(kit.send(query(DnsTestKit.ZONE, Type.A), true)).isEmpty();
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    @Test
    void pipelinedTcpQueriesAreAllAnswered() throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), kit.port())) {
            s.setSoTimeout(3000);
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 20; i++) {
                Message q = query(DnsTestKit.ZONE, Type.A);
                q.getHeader().setID(1000 + i);
                byte[] w = q.toWire();
                out.write(new byte[] {(byte) (w.length >> 8), (byte) w.length});
                out.write(w);
            }
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < 20; i++) {
                Message r = new Message(in.readNBytes(in.readUnsignedShort()));
                assertThat(r.getHeader().getID()).isEqualTo(1000 + i);
                assertThat(addresses(r)).isNotEmpty();
            }
        }
    }

    private static void assertStillAnswering() {
        assertThat(addresses(kit.send(query("www." + DnsTestKit.ZONE, Type.A, "203.0.113.0/24")))).containsExactly("10.3.0.1");
        assertThat(addresses(kit.send(query(DnsTestKit.ZONE, Type.A, "203.0.113.0/24")))).containsExactly("10.3.0.1");
        assertThat(addresses(kit.send(query(DnsTestKit.ZONE, Type.AAAA, "203.0.113.0/24"), true)))
                .containsExactly("fd00:3:0:0:0:0:0:1");
    }
}
