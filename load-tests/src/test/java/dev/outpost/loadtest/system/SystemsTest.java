package dev.outpost.loadtest.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SystemsTest {

    @Test
    void nginxKeysZoneHoldsTheBudgetsObjects() {
        // measured on nginx 1.22: 134k holds 991 keys, 40k holds 255
        assertThat(NginxSystem.zoneKib(new Sizing(1000L * 4096, 4096, false))).isEqualTo(134);
        assertThat(NginxSystem.zoneKib(new Sizing(200L * 4096, 4096, false))).isEqualTo(34);
        assertThat(NginxSystem.zoneKib(Sizing.roomy())).isEqualTo(64 * 1024);
        assertThat(NginxSystem.maxSize(new Sizing(1000L * 4096, 4096, false))).isEqualTo(2 * 1000 * 8192);
    }

    @Test
    void nginxConfigHasTheCacheSettingsTheReportClaims() {
        String conf = NginxSystem.config(Path.of("/w"), "127.0.0.1:9000", 8080, 8081, 16_000 * 1024L, 134);
        assertThat(conf).contains("worker_processes 1;", "keys_zone=bench:134k max_size=16000k", "proxy_cache_lock on;",
                "proxy_cache_revalidate on;", "listen 127.0.0.1:8081 http2", "server 127.0.0.1:9000;", "pid /w/nginx.pid;");
    }

    @Test
    void nginxGzipConfigCompressesTextAtLevelSixOverTheCache() {
        String conf = NginxSystem.gzipConfig(Path.of("/w"), "127.0.0.1:9000", 8080, 8081);
        assertThat(conf).contains("gzip on;", "gzip_comp_level 6;", "gzip_min_length 1024;", "gzip_vary on;",
                "gzip_types text/plain text/css text/html", "proxy_cache bench;", "proxy_cache_lock on;");
        assertThat(conf.indexOf("gzip on;")).isGreaterThan(conf.indexOf("http {")).isLessThan(conf.indexOf("server {"));
        assertThat(Systems.OUTPOST_COMPRESS_RULES).contains("compress: {enabled: true", "gzip: 6");
    }

    @Test
    void varnishStorageHasAFloor() {
        assertThat(VarnishSystem.storageSize(new Sizing(1000L * 4096, 4096, false))).isEqualTo(1000L * (4096 + 256));
        assertThat(VarnishSystem.storageSize(new Sizing(10L * 4096, 4096, false))).isEqualTo(1L << 20);
        assertThat(VarnishSystem.vcl("127.0.0.1", 9000)).contains(".port = \"9000\"", "set beresp.keep = 1h;");
    }

    @Test
    void outpostDiskTierGetsTheBudgetsObjectsAsItCountsThemAndMemoryAQuarterInFront() {
        long[] t = OutpostSystem.tiers(new Sizing(1000L * 4096, 4096, false));
        assertThat(t[1]).isEqualTo(1000L * (4096 + 288));
        assertThat(t[0]).isEqualTo(1000L * (4096 + 288) / 4);
        assertThat(OutpostSystem.tiers(Sizing.roomy())).containsExactly(64L << 20, 1L << 30);
    }

    @Test
    void outpostCommandUsesOnlyTheContractFlags() {
        BenchEnv env = new BenchEnv(Path.of("/repo"), Path.of("/jdk"), Path.of("/work"), java.util.Optional.of("0"), java.util.Optional.of("1"));
        var cmd = OutpostSystem.command(env, Path.of("/work/o"), "http://127.0.0.1:9000", 8080, 9080, 64L << 20, 1L << 30);
        assertThat(String.join(" ", cmd)).contains("-jar /repo/edge-node/target/edge-node.jar --origin http://127.0.0.1:9000 "
                + "--listen 127.0.0.1:8080 --admin 127.0.0.1:9080 --data-dir /work/o/cache --access-log off "
                + "--limits.origin-bytes-per-client 0 --cache.memory-size 64MiB --cache.memory-max-object 4MiB --cache.disk-size 1GiB");
    }

    @Test
    void outpostEntriesFromPrometheusText() {
        String metrics = """
                # HELP outpost_cache_entries entries
                # TYPE outpost_cache_entries gauge
                outpost_cache_entries{tier="disk"} 991.0
                outpost_cache_entries{node="e",tier="memory"} 250.0
                outpost_cache_bytes{tier="disk"} 4096.0
                """;
        assertThat(OutpostSystem.parseEntries(metrics)).isEqualTo(Map.of("disk", 991L, "memory", 250L));
    }
}
