package dev.outpost.controlplane;

import dev.outpost.config.ControlPlaneConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link TestControlPlane} on port 0 in a data directory of its own, started before each test
 * and closed after it (instance field), or once for the class (static field). A test declares
 * the control plane its nodes join beside its origin, instead of starting and closing one in
 * {@code @BeforeEach} and {@code @AfterEach}; it is still a {@code TestControlPlane}, so it can
 * be stopped and restarted inside a test.
 *
 * <pre>{@code
 * @RegisterExtension
 * final ControlPlaneExtension cp = new ControlPlaneExtension(new ManualClock());
 * }</pre>
 */
final class ControlPlaneExtension extends TestControlPlane
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private boolean perClass;

    ControlPlaneExtension(InstantSource clock) {
        this(clock, c -> c);
    }

    ControlPlaneExtension(InstantSource clock, UnaryOperator<ControlPlaneConfig> tweak) {
        super(newDataDir(), clock, tweak);
    }

    private static Path newDataDir() {
        try {
            return Files.createTempDirectory("outpost-cp");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            closeAndDelete();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        closeAndDelete();
    }

    private void closeAndDelete() {
        close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir
        }
    }
}
