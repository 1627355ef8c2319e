package dev.outpost.edge.hardening;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.NodeConfig;
import dev.outpost.edge.EdgeNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A node for the soak test, in its own JVM: the real {@link EdgeNode} started from a YAML file,
 * plus a small control listener that applies delivery configs the way a fleet agent does
 * ({@code POST /config?version=N} with a YAML body calls {@link EdgeNode#applyConfig}). Stops
 * gracefully on SIGTERM.
 *
 * <p>Arguments: {@code CONFIG.yaml CONTROL-PORT}.
 */
public final class SoakNodeMain {

    private SoakNodeMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        ConfigReader.Loaded<NodeConfig> loaded = ConfigReader.node().read(Path.of(args[0]), Map.of());
        EdgeNode node = EdgeNode.start(loaded.value(), loaded.source(), InstantSource.system());
        HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])), 16);
        control.createContext("/config", ex -> {
            try (ex) {
                long version = Long.parseLong(ex.getRequestURI().getQuery().replace("version=", ""));
                String yaml = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                DeliveryConfig d = ConfigReader.delivery().parse("push.yaml", yaml).value();
                node.applyConfig(version, d);
                reply(ex, 200, "applied " + version);
            } catch (ConfigException | IllegalArgumentException e) {
                reply(ex, 400, e.getMessage());
            }
        });
        control.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            control.stop(0);
            node.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }

    private static void reply(HttpExchange ex, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }
}
