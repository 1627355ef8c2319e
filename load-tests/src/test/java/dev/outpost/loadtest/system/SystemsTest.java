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
    void nginxAndVarnishTakeOneWorkerOrPoolPerPinnedCore() {
        assertThat(NginxSystem.config(Path.of("/w"), "127.0.0.1:9000", 8080, 8081, 1024, 134, 2)).contains("worker_processes 2;");
        assertThat(VarnishSystem.command(Path.of("/w/i"), 8080, Path.of("/w/b.vcl"), "malloc,64k", 2))
                .contains("thread_pools=2", "-a", "127.0.0.1:8080");
        assertThat(VarnishSystem.command(Path.of("/w/i"), 8080, Path.of("/w/b.vcl"), "malloc,64k", 1)).contains("thread_pools=1");
        assertThat(TrafficServerSystem.execThreads(java.util.Optional.of("0-1")).getAsInt()).isEqualTo(2);
    }

    @Test
    void outpostsCollectorFromItsGcLog() {
        assertThat(OutpostSystem.collectorIn("[0.005s][info][gc] Using Serial\n[0.3s][info][gc] GC(0) Pause Young")).contains("Serial");
        assertThat(OutpostSystem.collectorIn("[0.004s][info][gc     ] Using G1\n")).contains("G1");
        assertThat(OutpostSystem.collectorIn("[0.006s] Using Serial\n[0.4s] GC(0) Pause Young (Allocation Failure) 20M->5M(60M) 3.1ms"))
                .contains("Serial");
        assertThat(OutpostSystem.collectorIn("")).isEmpty();
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

    @Test
    void atsRecordsPinOneExecThreadAndCacheWhatTheOriginMarksCacheable() {
        var l = TrafficServerSystem.layout(Sizing.roomy());
        String rec = TrafficServerSystem.records(8080, TrafficServerSystem.execThreads(java.util.Optional.of("0")), l);
        assertThat(rec).contains(
                "CONFIG proxy.config.http.server_ports STRING 8080:ipv4:ip-in=127.0.0.1:proto=http;http2\n",
                "CONFIG proxy.config.exec_thread.autoconfig INT 0\n",
                "CONFIG proxy.config.exec_thread.limit INT 1\n",
                "CONFIG proxy.config.exec_thread.affinity INT 0\n",
                "CONFIG proxy.config.cache.ram_cache.size INT " + (64L << 20) + "\n",
                "CONFIG proxy.config.http.cache.required_headers INT 0\n",
                "CONFIG proxy.config.cache.enable_read_while_writer INT 1\n",
                "CONFIG proxy.config.http.cache.max_open_read_retries INT 300\n",
                "CONFIG proxy.config.admin.user_id STRING #-1\n",
                "CONFIG proxy.config.log.logging_enabled INT 0\n");
        // not pinned: ATS picks its own thread count
        String free = TrafficServerSystem.records(8080, TrafficServerSystem.execThreads(java.util.Optional.empty()), l);
        assertThat(free).contains("CONFIG proxy.config.exec_thread.autoconfig INT 1\n").doesNotContain("exec_thread.limit");
        assertThat(TrafficServerSystem.execThreads(java.util.Optional.of("0-1,3")).getAsInt()).isEqualTo(3);
    }

    @Test
    void atsFilesPointAtTheWorkDirectoryTheSpanAndTheOrigin() {
        assertThat(TrafficServerSystem.runroot(Path.of("/w/ats-1"))).contains("sysconfdir: /w/ats-1/etc\n", "logdir: /w/ats-1/log\n",
                "runtimedir: /w/ats-1/run\n", "bindir: /usr/bin\n", "libexecdir: /usr/lib/trafficserver/modules\n");
        assertThat(TrafficServerSystem.storage(Path.of("/dev/shm/a.span"), 1L << 30)).isEqualTo("/dev/shm/a.span 1073741824\n");
        assertThat(TrafficServerSystem.remap("127.0.0.1:9000", Path.of("/w/etc/cs.conf")))
                .isEqualTo("map / http://127.0.0.1:9000/ @plugin=header_rewrite.so @pparam=/w/etc/cs.conf\n");
        assertThat(TrafficServerSystem.webSocketRemap(8080, "127.0.0.1:9000")).isEqualTo("map ws://127.0.0.1:8080/ ws://127.0.0.1:9000/\n");
        assertThat(TrafficServerSystem.cacheStatusRules()).contains("cond %{CACHE} =hit-fresh\nset-header Cache-Status hit");
        assertThat(TrafficServerSystem.plugins(false)).isEmpty();
        assertThat(TrafficServerSystem.plugins(true)).startsWith("stats_over_http.so ");
    }

    @Test
    void atsSpanHoldsTheBudgetsObjectsInWholeBlocksAndTooSmallABudgetIsRefused() {
        // 5,000 objects of 4 KiB (the 50% point): 9,060 span bytes each as ATS fills it (measured), in 8 KiB storage blocks
        var l = TrafficServerSystem.layout(new Sizing(5000L * 4096, 4096, false));
        assertThat(l.spanBytes()).isEqualTo((5000L * 9060 + 8191) / 8192 * 8192);
        assertThat(l.ramBytes()).isEqualTo(l.spanBytes() / 4);
        assertThat(l.averageObjectSize()).isEqualTo(9060 / 2);
        assertThat(TrafficServerSystem.refused(new Sizing(5000L * 4096, 4096, false))).isEmpty();
        // 1,000 objects (the 10% point) need 8.6 MiB, over the 8.25 MiB floor; 200 (the 2% point) need 1.7 MiB
        assertThat(TrafficServerSystem.refused(new Sizing(1000L * 4096, 4096, false))).isEmpty();
        assertThat(TrafficServerSystem.refused(new Sizing(200L * 4096, 4096, false))).get().asString()
                .contains("span of 1.7 MiB", "under 8.25 MiB");
        assertThat(TrafficServerSystem.layout(Sizing.large()).spanBytes()).isEqualTo(5L << 30);
        assertThat(TrafficServerSystem.refused(Sizing.roomy())).isEmpty();
    }

    @Test
    void atsSpanFilesOfDeadSuitesAreRemoved(@org.junit.jupiter.api.io.TempDir Path shm) throws Exception {
        Path mine = java.nio.file.Files.createFile(shm.resolve("outpost-ats-" + ProcessHandle.current().pid() + "-ats-1.span"));
        Path orphan = java.nio.file.Files.createFile(shm.resolve("outpost-ats-999999999-ats-2.span"));
        Path other = java.nio.file.Files.createFile(shm.resolve("someone-else.span"));
        TrafficServerSystem.removeOrphanSpans(shm);
        assertThat(mine).exists();
        assertThat(other).exists();
        assertThat(orphan).doesNotExist();
    }

    @Test
    void atsObjectsHeldFromStatsOverHttp() {
        String json = "{ \"global\": {\n\"proxy.process.cache.direntries.total\": \"9000\",\n"
                + "\"proxy.process.cache.direntries.used\": \"4321\",\n} }";
        assertThat(TrafficServerSystem.parseDirEntries(json)).isEqualTo(Map.of(TrafficServerSystem.DIR_ENTRIES, 4321L));
        assertThat(TrafficServerSystem.parseDirEntries("{}")).isEmpty();
    }
}
