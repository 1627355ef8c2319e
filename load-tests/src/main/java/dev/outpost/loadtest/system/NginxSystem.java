package dev.outpost.loadtest.system;

import dev.outpost.loadtest.proc.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * nginx with proxy_cache as an operator would set it up for a CDN edge: one worker per core it
 * is pinned to (one, except for the hot hits' second pass with {@code --cores 1,2}), keep-alive to the origin, cache lock (collapsing), revalidation with validators, sendfile.
 * HTTP/2 needs its own port: nginx 1.22 without TLS serves h2c with prior knowledge only on a
 * listener marked {@code http2}.
 *
 * <p>Equal capacity: nginx's cache manager evicts past {@code max_size} lazily in the
 * background (100 files per 50 ms by default), and a fast stream of misses overruns that bound
 * several times over (measured: 5,874 files held against a budget of 1,000), which would
 * compare Outpost with a much larger cache. The keys zone, though, is a hard bound: when it is
 * full nginx evicts the least recently used entry, file included, before inserting. So for a
 * tight budget the suite sizes {@code keys_zone} to hold exactly the budget's number of
 * objects (128 bytes a key plus a fixed 8,320 bytes, measured on nginx 1.22), and sets
 * {@code max_size} to twice the budget's on-disk size as a backstop.
 */
final class NginxSystem extends ProcessSystem {

    /** nginx stores a cached response as a file with a header of key and response headers, counted in whole blocks. */
    static final long HEADER_ESTIMATE = 600;
    static final long BLOCK = 4096;

    private final int port;
    private final int h2Port;
    private final String settings;

    private NginxSystem(Process p, Path dir, Path log, int port, int h2Port, String settings) {
        super(p, dir, log);
        this.port = port;
        this.h2Port = h2Port;
        this.settings = settings;
    }

    /** proxy_cache_path max_size that holds {@code sizing.objects()} objects of {@code sizing.objectSize()}. */
    static long maxSize(Sizing sizing) {
        if (sizing.largeObjects()) {
            return sizing.capacityBytes();
        }
        long perObject = ((sizing.objectSize() + HEADER_ESTIMATE + BLOCK - 1) / BLOCK) * BLOCK;
        // a backstop only: the keys zone is the bound that holds (see the class comment)
        return 2 * sizing.objects() * perObject;
    }

    /** Bytes of keys zone per cached key, and the zone's fixed part (measured on nginx 1.22: 134k holds 991 keys, 40k holds 255). */
    static final long KEY_BYTES = 128;
    static final long ZONE_OVERHEAD = 8320;

    /** keys_zone size in KiB: exactly the budget's number of objects when the budget is tight, 64 MiB otherwise. */
    static long zoneKib(Sizing sizing) {
        if (sizing.largeObjects() || sizing.objects() > 100_000) {
            return 64 * 1024;
        }
        return (sizing.objects() * KEY_BYTES + ZONE_OVERHEAD + 1023) / 1024;
    }

    static String config(Path dir, String originHostPort, int port, int h2Port, long maxSizeBytes, long zoneKib) {
        return config(dir, originHostPort, port, h2Port, maxSizeBytes, zoneKib, 1);
    }

    /** The proxy_cache config with {@code workers} worker processes, one per core the systems are pinned to. */
    static String config(Path dir, String originHostPort, int port, int h2Port, long maxSizeBytes, long zoneKib, int workers) {
        String d = dir.toAbsolutePath().toString();
        return """
                daemon off;
                master_process on;
                user root;
                worker_processes %7$d;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 16384; multi_accept on; }
                http {
                  access_log off;
                  sendfile on; tcp_nopush on; tcp_nodelay on;
                  keepalive_requests 10000000; keepalive_timeout 120s;
                  client_body_temp_path %1$s/tmp/body; proxy_temp_path %1$s/tmp/proxy;
                  fastcgi_temp_path %1$s/tmp/fastcgi; uwsgi_temp_path %1$s/tmp/uwsgi; scgi_temp_path %1$s/tmp/scgi;
                  proxy_cache_path %1$s/cache levels=1:2 keys_zone=bench:%6$dk max_size=%5$dk inactive=7d use_temp_path=off;
                  upstream origin { server %2$s; keepalive 256; }
                  server {
                    listen 127.0.0.1:%3$d backlog=4096;
                    listen 127.0.0.1:%4$d http2 backlog=4096;
                    http2_max_requests 10000000;
                    location / {
                      proxy_pass http://origin;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_cache bench;
                      proxy_cache_lock on;
                      proxy_cache_lock_timeout 30s;
                      proxy_cache_lock_age 30s;
                      proxy_cache_revalidate on;
                      proxy_cache_use_stale updating;
                      proxy_read_timeout 60s;
                      add_header Cache-Status $upstream_cache_status;
                    }
                  }
                }
                """.formatted(d, originHostPort, port, h2Port, Math.max(1, maxSizeBytes / 1024), zoneKib, workers);
    }

    static CacheSystem start(BenchEnv env, Path dir, String originUrl, Sizing sizing) throws Systems.StartException {
        int port = Systems.freePort();
        int h2Port = Systems.freePort();
        long max = maxSize(sizing);
        Path log = dir.resolve("nginx.out");
        int workers = CpuList.serverCores(env.serverCpus());
        Process p = launch(env, dir, config(dir, originUrl.replaceFirst("^http://", ""), port, h2Port, max, zoneKib(sizing), workers), log);
        Path errors = dir.resolve("error.log");
        awaitHttp(p, Files.exists(errors) ? errors : log, "nginx", port, "/__ready", Duration.ofSeconds(20));
        return new NginxSystem(p, dir, log, port, h2Port,
                "nginx: " + workers + " worker" + (workers == 1 ? "" : "s") + ", proxy_cache keys_zone=" + zoneKib(sizing) + "k max_size=" + max / 1024 + "k, "
                        + "proxy_cache_lock on, proxy_cache_revalidate on, sendfile on");
    }

    /**
     * nginx as a WebSocket reverse proxy, as its documentation sets one up: {@code proxy_pass}
     * over HTTP/1.1 with {@code Upgrade} and {@code Connection: upgrade} passed on, no cache,
     * a read timeout long enough for the load.
     */
    static String webSocketConfig(Path dir, String originHostPort, int port) {
        String d = dir.toAbsolutePath().toString();
        return """
                daemon off;
                master_process on;
                user root;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 16384; multi_accept on; }
                http {
                  access_log off;
                  tcp_nodelay on;
                  client_body_temp_path %1$s/tmp/body; proxy_temp_path %1$s/tmp/proxy;
                  fastcgi_temp_path %1$s/tmp/fastcgi; uwsgi_temp_path %1$s/tmp/uwsgi; scgi_temp_path %1$s/tmp/scgi;
                  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                  server {
                    listen 127.0.0.1:%3$d backlog=4096;
                    location / {
                      proxy_pass http://%2$s;
                      proxy_http_version 1.1;
                      proxy_set_header Upgrade $http_upgrade;
                      proxy_set_header Connection $connection_upgrade;
                      proxy_set_header Host $host;
                      proxy_read_timeout 3600s;
                      proxy_send_timeout 3600s;
                    }
                  }
                }
                """.formatted(d, originHostPort, port);
    }

    static CacheSystem startWebSocket(BenchEnv env, Path dir, String originUrl) throws Systems.StartException {
        int port = Systems.freePort();
        Path log = dir.resolve("nginx.out");
        Process p = launch(env, dir, webSocketConfig(dir, originUrl.replaceFirst("^http://", ""), port), log);
        awaitHttp(p, log, "nginx", port, "/__ready", Duration.ofSeconds(20));
        return new NginxSystem(p, dir, log, port, port,
                "nginx: 1 worker, proxy_pass with proxy_http_version 1.1, Upgrade $http_upgrade, Connection upgrade");
    }

    /**
     * nginx as a caching proxy that compresses on the way out, as operators set it up: the
     * {@code proxy_cache} settings of {@link #config} plus {@code gzip on} at
     * {@code gzip_comp_level 6} for text types over 1 KiB, {@code gzip_vary on} and
     * {@code gzip_proxied any}. nginx stores the origin's uncompressed body and runs gzip on
     * every response, hits included ({@code gzip_static} only serves {@code .gz} files from
     * disk, so it does not apply to a proxy cache).
     */
    static String gzipConfig(Path dir, String originHostPort, int port, int h2Port) {
        return config(dir, originHostPort, port, h2Port, 1L << 30, 64 * 1024).replace("  access_log off;\n",
                "  access_log off;\n"
                        + "  gzip on; gzip_comp_level 6; gzip_min_length 1024; gzip_vary on; gzip_proxied any;\n"
                        + "  gzip_types text/plain text/css text/html application/javascript application/json image/svg+xml;\n");
    }

    static CacheSystem startGzip(BenchEnv env, Path dir, String originUrl) throws Systems.StartException {
        int port = Systems.freePort();
        int h2Port = Systems.freePort();
        Path log = dir.resolve("nginx.out");
        Process p = launch(env, dir, gzipConfig(dir, originUrl.replaceFirst("^http://", ""), port, h2Port), log);
        Path errors = dir.resolve("error.log");
        awaitHttp(p, Files.exists(errors) ? errors : log, "nginx", port, "/__ready", Duration.ofSeconds(20));
        return new NginxSystem(p, dir, log, port, h2Port, "nginx: 1 worker, proxy_cache as in the other scenarios, gzip on, "
                + "gzip_comp_level 6, gzip_min_length 1024, gzip_types text/html and other text types, gzip_vary on");
    }

    /** Writes {@code config} and the directories it names under {@code dir}, then starts nginx on it. */
    private static Process launch(BenchEnv env, Path dir, String config, Path log) throws Systems.StartException {
        Path conf = dir.resolve("nginx.conf");
        try {
            for (String t : List.of("body", "proxy", "fastcgi", "uwsgi", "scgi")) {
                Files.createDirectories(dir.resolve("tmp").resolve(t));
            }
            Files.createDirectories(dir.resolve("cache"));
            Files.writeString(conf, config);
        } catch (IOException e) {
            throw new Systems.StartException("nginx: cannot write its config: " + e.getMessage());
        }
        return Proc.start(env.serverCpus(), List.of("nginx", "-c", conf.toString(), "-p", dir.toString()), log);
    }

    @Override
    public SystemKind kind() {
        return SystemKind.NGINX;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int h2Port() {
        return h2Port;
    }

    @Override
    public Map<String, Long> objectsHeld() {
        try (var files = Files.walk(dir.resolve("cache"))) {
            return Map.of("disk", files.filter(Files::isRegularFile)
                    .filter(f -> f.getFileName().toString().matches("[0-9a-f]{32}")).count());
        } catch (IOException e) {
            return Map.of();
        }
    }

    @Override
    public String settings() {
        return settings;
    }
}
