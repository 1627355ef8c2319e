package dev.outpost.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.loadtest.system.BenchEnv;
import dev.outpost.loadtest.system.Systems;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BenchMainCoresTest {

    static final BenchEnv ENV = new BenchEnv(Path.of("/repo"), Path.of("/jdk"), Path.of("/work"), Optional.of("0"), Optional.of("1"));

    @Test
    void oneCoreKeepsTheRunsPinningAndTwoCoresShareBothCpusWithTheLoadGenerator() {
        Systems sys = new Systems(ENV);
        var setups = BenchMain.coreSetups(List.of(2, 1, 2), 2, ENV, sys);
        assertThat(setups).extracting(s -> s.cores()).containsExactly(1, 2);
        assertThat(setups.get(0).systems()).isSameAs(sys);
        assertThat(setups.get(0).placement()).isEqualTo("systems on CPU 0, the load generator and the origin on CPU 1 (a core of their own)");
        BenchEnv two = setups.get(1).systems().env();
        assertThat(two.serverCpus()).contains("0-1");
        assertThat(two.clientCpus()).contains("0-1");
        assertThat(setups.get(1).placement()).contains("not pinned to a CPU of its own");
        assertThatThrownBy(() -> BenchMain.coreSetups(List.of(4), 2, ENV, sys)).hasMessageContaining("--cores 4");
    }
}
