package dev.outpost.loadtest.system;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a run happens: the repository (for the edge-node jar), the JDK 25 that runs it, the
 * work directory for configs, caches and logs, and the CPU split (servers on one core, the
 * load generator and the origin on the other).
 */
public record BenchEnv(Path repoRoot, Path javaHome, Path workDir, Optional<String> serverCpus, Optional<String> clientCpus) {

    public Path edgeJar() {
        return repoRoot.resolve("edge-node/target/edge-node.jar");
    }

    public Path java() {
        return javaHome.resolve("bin/java");
    }
}
