package dev.outpost.loadtest.system;

import dev.outpost.loadtest.proc.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Varnish with its default VCL plus {@code beresp.keep} (without it Varnish drops stale objects
 * and never sends a conditional request), one thread pool per core it is pinned to, HTTP/2
 * enabled (h2c with prior knowledge on the same port), malloc storage, or file storage for the 1 GiB object.
 * Runs as root without a jail ({@code -j none}) in its own instance directory.
 */
final class VarnishSystem extends ProcessSystem {

    /** Per-object overhead in malloc storage beyond the body (headers, object struct): 1,153 objects of 4 KiB filled 5,000 KiB. */
    static final long OBJECT_OVERHEAD = 256;

    private final int port;
    private final Path instance;
    private final String settings;

    private VarnishSystem(Process p, Path dir, Path log, int port, Path instance, String settings) {
        super(p, dir, log);
        this.port = port;
        this.instance = instance;
        this.settings = settings;
    }

    static long storageSize(Sizing sizing) {
        if (sizing.largeObjects()) {
            return sizing.capacityBytes();
        }
        return Math.max(MIN_STORAGE, sizing.objects() * (sizing.objectSize() + OBJECT_OVERHEAD));
    }

    /** varnishd refuses smaller storage ("too small"). */
    static final long MIN_STORAGE = 1L << 20;

    static String vcl(String host, int port) {
        return """
                vcl 4.1;
                backend origin {
                  .host = "%s";
                  .port = "%d";
                  .first_byte_timeout = 60s;
                  .between_bytes_timeout = 60s;
                }
                sub vcl_backend_response {
                  set beresp.keep = 1h;
                }
                sub vcl_deliver {
                  if (obj.hits > 0) { set resp.http.Cache-Status = "hit"; } else { set resp.http.Cache-Status = "miss"; }
                }
                """.formatted(host, port);
    }

    static CacheSystem start(BenchEnv env, Path dir, String originUrl, Sizing sizing) throws Systems.StartException {
        int port = Systems.freePort();
        String hostPort = originUrl.replaceFirst("^http://", "");
        int colon = hostPort.lastIndexOf(':');
        Path vcl = dir.resolve("bench.vcl");
        Path instance = dir.resolve("instance").toAbsolutePath();
        Path log = dir.resolve("varnishd.out");
        long size = storageSize(sizing);
        String storage = sizing.largeObjects()
                ? "file," + dir.resolve("cache").toAbsolutePath().resolve("storage.bin") + "," + size / 1024 + "k"
                : "malloc," + size / 1024 + "k";
        try {
            Files.createDirectories(dir.resolve("cache"));
            Files.writeString(vcl, vcl(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))));
        } catch (IOException e) {
            throw new Systems.StartException("Varnish: cannot write its VCL: " + e.getMessage());
        }
        int pools = CpuList.serverCores(env.serverCpus());
        Process p = Proc.start(env.serverCpus(), command(instance, port, vcl, storage, pools), log);
        awaitHttp(p, log, "Varnish", port, "/__ready", Duration.ofSeconds(30));
        return new VarnishSystem(p, dir, log, port, instance,
                "Varnish: " + pools + " thread pool" + (pools == 1 ? "" : "s") + ", -s " + storage.replaceFirst(",/[^,]*", "") + ", beresp.keep=1h, feature=+http2");
    }

    /** varnishd in the foreground with {@code pools} thread pools, one per core the systems are pinned to. */
    static List<String> command(Path instance, int port, Path vcl, String storage, int pools) {
        return List.of("varnishd", "-F", "-j", "none", "-n", instance.toString(),
                "-a", "127.0.0.1:" + port, "-T", "none", "-f", vcl.toAbsolutePath().toString(), "-s", storage,
                "-p", "thread_pools=" + pools, "-p", "thread_pool_min=200", "-p", "thread_pool_max=2000",
                "-p", "feature=+http2");
    }

    @Override
    public SystemKind kind() {
        return SystemKind.VARNISH;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int h2Port() {
        return port;
    }

    @Override
    public Map<String, Long> objectsHeld() {
        Proc.Result r = Proc.run(Optional.empty(), Duration.ofSeconds(10),
                List.of("varnishstat", "-n", instance.toString(), "-1", "-f", "MAIN.n_object"));
        Matcher m = Pattern.compile("MAIN\\.n_object\\s+(\\d+)").matcher(r.stdout());
        return m.find() ? Map.of("storage", Long.parseLong(m.group(1))) : Map.of();
    }

    @Override
    public String settings() {
        return settings;
    }
}
