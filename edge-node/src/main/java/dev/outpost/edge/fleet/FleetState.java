package dev.outpost.edge.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.OutpostJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * What a node has applied from its control plane, kept in one file written atomically (temp
 * file, fsync, rename), so after any crash it holds either the old or the new state, never half
 * of each. A restarted node serves with this config and asks for purges after this sequence.
 *
 * @param configVersion the config version applied (0: none)
 * @param config that config (null when none)
 * @param purgeSequence the last purge applied (0: none)
 */
record FleetState(long configVersion, DeliveryConfig config, long purgeSequence) {

    static final FleetState EMPTY = new FleetState(0, null, 0);
    static final String FILE = "fleet-state.json";

    static FleetState load(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) {
            return EMPTY;
        }
        return OutpostJson.json().readValue(Files.readAllBytes(f), FleetState.class);
    }

    void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        byte[] bytes;
        try {
            bytes = OutpostJson.json().writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Path tmp = dir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    FleetState withConfig(long version, DeliveryConfig c) {
        return new FleetState(version, c, purgeSequence);
    }

    FleetState withPurge(long sequence) {
        return new FleetState(configVersion, config, sequence);
    }
}
