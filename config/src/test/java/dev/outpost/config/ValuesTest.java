package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValuesTest {

    @Test
    void sizes() {
        assertThat(DataSize.parse("256MiB").bytes()).isEqualTo(256L << 20);
        assertThat(DataSize.parse("1GB")).isEqualTo(DataSize.ofGibibytes(1));
        assertThat(DataSize.parse("512k").bytes()).isEqualTo(512 * 1024);
        assertThat(DataSize.parse("1.5g").bytes()).isEqualTo(3L << 29);
        assertThat(DataSize.parse("4096").bytes()).isEqualTo(4096);
        assertThat(DataSize.ofMebibytes(3).toString()).isEqualTo("3MiB");
        assertThatThrownBy(() -> DataSize.parse("lots")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> DataSize.parse("-1MiB")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> DataSize.parse("99999999999T")).hasMessageContaining("too large");
    }

    @Test
    void durations() {
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("45")).isEqualTo(Duration.ofSeconds(45));
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(Durations.parse(Durations.format(Duration.ofMillis(1500)))).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> Durations.parse("-5s")).hasMessageContaining("negative");
        assertThatThrownBy(() -> Durations.parse("5 parsecs")).hasMessageContaining("not a duration");
    }

    @Test
    void hostPorts() {
        assertThat(HostPort.parse(":8080")).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(HostPort.parse("[::1]:53").host()).isEqualTo("::1");
        assertThat(HostPort.parse("[::1]:53").toString()).isEqualTo("[::1]:53");
        assertThatThrownBy(() -> HostPort.parse("::1:53")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> HostPort.parse("host:99999")).hasMessageContaining("range");
        assertThatThrownBy(() -> HostPort.parse("host")).hasMessageContaining("HOST:PORT");
    }

    @Test
    void coordinatesAndDistance() {
        Coordinates paris = Coordinates.parse("48.8566, 2.3522");
        Coordinates newYork = Coordinates.parse("40.7128,-74.0060");
        assertThat(paris.distanceKm(newYork)).isBetween(5830.0, 5845.0);
        assertThat(paris.distanceKm(paris)).isZero();
        assertThatThrownBy(() -> Coordinates.parse("91,0")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> Coordinates.parse("north")).hasMessageContaining("LAT,LON");
    }

    @Test
    void networks() throws Exception {
        Cidr ten = Cidr.parse("10.0.0.0/8");
        assertThat(ten.contains(InetAddress.getByName("10.200.1.1"))).isTrue();
        assertThat(ten.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(ten.contains(InetAddress.getByName("::ffff:10.1.2.3"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db8:1::5"))).isTrue();
        assertThat(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.8"))).isFalse();
        assertThat(Cidr.parse("192.168.1.0/23").contains(InetAddress.getByName("192.168.0.9"))).isTrue();
        assertThat(Cidr.isValid("example.com")).isFalse();
        assertThat(Cidr.isValid("10.0.0.0/33")).isFalse();
    }

    @Test
    void globs() {
        assertThat(PathGlob.compile("/img/*.png").matcher("/img/a.png").matches()).isTrue();
        assertThat(PathGlob.compile("/img/*.png").matcher("/img/x/a.png").matches()).isFalse();
        assertThat(PathGlob.compile("/img/**.png").matcher("/img/x/a.png").matches()).isTrue();
        assertThat(PathGlob.compile("/a?c").matcher("/abc").matches()).isTrue();
        assertThat(PathGlob.compile("/a.(b)").matcher("/a.(b)").matches()).isTrue();
    }
}
