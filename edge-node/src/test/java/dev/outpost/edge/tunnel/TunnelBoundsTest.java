package dev.outpost.edge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.edge.hardening.NodeFigures;
import dev.outpost.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 WebSocket tunnels open at once through a node in its own JVM with {@code -Xmx512m},
 * each echoing a message, while one more client still gets through: heap, direct memory, open
 * files and threads before, with all open, and after they closed. A tunnel holds no buffer
 * while idle and two virtual threads, so the peak grows by connections, not by buffers.
 * Tagged {@code bounds}: runs with {@code -Doutpost.test.all}; the default run has
 * {@code WebSocketTunnelTest}'s 100 tunnels.
 */
class TunnelBoundsTest {

    @Test
    @Tag("bounds")
    void aThousandTunnelsInBoundedMemory(@TempDir Path tmp) throws Exception {
        int n = 1000;
        try (EchoOrigin origin = EchoOrigin.launch();
             EdgeProcess edge = EdgeProcess.edge(origin.url(), Files.createDirectories(tmp.resolve("data")),
                     List.of("-Xmx512m"), "--limits.max-tunnels-per-client", Integer.toString(n + 1),
                     "--limits.max-connections-per-client", Integer.toString(n + 64)).start()) {
            NodeFigures.Reading before = NodeFigures.readAfterGc(edge);
            NodeFigures.Reading open;
            try (TunnelLoad.Open tunnels = TunnelLoad.Open.echoing(edge.port, n)) {
                Await.until(n + " tunnels open", Duration.ofSeconds(120), () -> edge.metric("outpost_tunnels_open") == n);
                open = NodeFigures.readAfterGc(edge);
                WsClient other = WsClient.connect(edge.port, "/other");
                other.send("still served");
                assertThat(other.next()).isEqualTo("still served");
                other.closeBlocking();
            }
            Await.until("every tunnel closed", Duration.ofSeconds(120), () -> edge.metric("outpost_tunnels_open") == 0);
            NodeFigures.Reading after = NodeFigures.readAfterGc(edge);
            String report = String.format(Locale.ROOT, "tunnels, -Xmx512m: before %s; %d tunnels open: %s; after %s; "
                    + "bytes to origin %.0f, to clients %.0f", before, n, open, after,
                    edge.metric("outpost_tunnel_bytes_total", "direction", "to-origin"),
                    edge.metric("outpost_tunnel_bytes_total", "direction", "to-client"));
            System.out.println(report);
            Files.createDirectories(Path.of("target", "hardening"));
            Files.writeString(Path.of("target", "hardening", "tunnels.txt"), report + "\n");
            assertThat(edge.metric("outpost_tunnel_closes_total")).as(report).isEqualTo(n + 1);
            // per tunnel: two connections, two parked virtual threads, no idle buffer
            assertThat(open.heapMiB() - before.heapMiB()).as(report).isLessThan(64);
            assertThat(open.directMiB() - before.directMiB()).as(report).isLessThan(16);
            assertThat(after.files()).as(report).isLessThan(before.files() + 32);
        }
    }
}
