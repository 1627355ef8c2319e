package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane's store keys: rocksdb by default, etcd with endpoints from a YAML list or a
 * comma-separated flag, and every bad value refused naming the file, line and key. Also an edge's
 * several control-plane URLs, from a YAML list or a comma list.
 */
class StoreSettingsTest {

    @TempDir
    Path dir;

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("cp.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void etcdEndpointsComeFromAYamlListOrACommaFlag() throws Exception {
        ControlPlaneConfig dflt = ControlPlaneConfig.read(null, Map.of("token", "a-long-token"));
        assertThat(dflt.store()).isEqualTo("rocksdb");
        assertThat(dflt.etcd()).isFalse();
        ControlPlaneConfig yaml = ControlPlaneConfig.read(file("""
                token: a-long-token
                store: etcd
                etcd-endpoints: [http://10.0.0.1:2379, http://10.0.0.2:2379]
                """), Map.of());
        assertThat(yaml.etcdEndpoints()).containsExactly("http://10.0.0.1:2379", "http://10.0.0.2:2379");
        assertThat(yaml.etcdPrefix()).isEqualTo("/outpost/");
        ControlPlaneConfig flag = ControlPlaneConfig.read(null, Map.of("token", "a-long-token", "store", "etcd",
                "etcd-endpoints", List.of("http://a:2379,http://b:2379", "http://c:2379")));
        assertThat(flag.etcdEndpoints()).containsExactly("http://a:2379", "http://b:2379", "http://c:2379");
    }

    @Test
    void badStoreSettingsAreRefusedNamingFileLineAndKey() throws Exception {
        Path f = file("""
                token: a-long-token
                store: zookeeper
                """);
        assertThatThrownBy(() -> ControlPlaneConfig.read(f, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toString() + ":2").hasMessageContaining("store").hasMessageContaining("rocksdb or etcd");
        Path g = file("""
                token: a-long-token
                store: etcd
                etcd-endpoints: [10.0.0.1:2379]
                etcd-user: outpost
                etcd-ca: /nonexistent/ca.pem
                etcd-prefix: outpost
                """);
        assertThatThrownBy(() -> ControlPlaneConfig.read(g, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining(g + ":3:1: etcd-endpoints").hasMessageContaining("10.0.0.1:2379")
                .hasMessageContaining("etcd-password-file").hasMessageContaining("etcd-ca")
                .hasMessageContaining("etcd-prefix");
        assertThatThrownBy(() -> ControlPlaneConfig.read(null, Map.of("token", "a-long-token", "store", "etcd")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("etcd-endpoints");
    }

    @Test
    void anEdgeTakesSeveralControlPlanesAsAListOrCommas() throws Exception {
        Path f = dir.resolve("edge.yaml");
        Files.writeString(f, """
                control-plane: [http://cp1:7000, http://cp2:7000/]
                token: a-long-token
                """);
        NodeConfig n = ConfigReader.node().read(f, Map.of()).value();
        assertThat(n.controlPlanes()).containsExactly("http://cp1:7000", "http://cp2:7000/");
        NodeConfig m = ConfigReader.node().read(null, Map.of("control-plane", "http://cp1:7000, http://cp2:7000")).value();
        assertThat(m.controlPlanes()).containsExactly("http://cp1:7000", "http://cp2:7000");
        assertThatThrownBy(() -> ConfigReader.node().read(null, Map.of("control-plane", "http://cp1:7000,ftp://x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("control-plane").hasMessageContaining("ftp://x");
    }
}
