package dev.outpost.edge;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.flags.ConfigFlags;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of an edge or shield node. Every option is also a key of the YAML file given
 * with {@code --config} (nested keys are dotted: {@code --cache.memory-size}); options win
 * over the file.
 */
@Command(name = "edge-node", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        versionProvider = EdgeNodeMain.Version.class,
        description = {"Outpost edge node: a caching reverse proxy (memory over disk) in front of origins,",
                "running as an edge or as an origin shield.", "",
                "Standalone:  edge-node --origin http://127.0.0.1:9000 --listen 127.0.0.1:8080 --admin 127.0.0.1:9080 --data-dir ./data",
                "In a fleet:  edge-node --config edge.yaml --control-plane http://cp:7000 --token T --node-id edge-1 ...", ""},
        footer = {"", "Every option is also a key of the YAML config (same name; dotted names nest). Options win over the file.",
                "List keys repeat the flag or separate values with commas; --origins, --rules and --default-rule take YAML text.",
                "Exit codes: 0 stopped cleanly, 2 invalid config or arguments, 1 failed to start."})
public final class EdgeNodeMain {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML (or JSON) config file")
    Path config;

    /** One flag per key of {@link NodeConfig}, derived from the model; help texts in {@code flags.properties}. */
    ConfigFlags flags;

    /** The command line of the node: {@code --config} and a flag for every config key. */
    static CommandLine commandLine(EdgeNodeMain main) {
        CommandLine cmd = new CommandLine(main);
        main.flags = ConfigFlags.register(cmd.getCommandSpec(), NodeConfig.class,
                EdgeNodeMain.class.getResource("flags.properties"));
        return cmd;
    }

    public static void main(String[] args) {
        System.exit(run(args, InstantSource.system()));
    }

    static int run(String[] args, InstantSource clock) {
        EdgeNodeMain main = new EdgeNodeMain();
        CommandLine cmd = commandLine(main);
        CommandLine.ParseResult parsed;
        try {
            parsed = cmd.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("edge-node: " + e.getMessage() + " (see --help)");
            return 2;
        }
        if (cmd.isUsageHelpRequested()) {
            cmd.usage(System.out);
            return 0;
        }
        if (cmd.isVersionHelpRequested()) {
            cmd.printVersionHelp(System.out);
            return 0;
        }
        Map<String, Object> flags;
        try {
            flags = main.flags.values(parsed);
        } catch (ConfigException e) {
            e.problems().forEach(p -> System.err.println("edge-node: " + p));
            return 2;
        }
        ConfigReader.Loaded<NodeConfig> loaded;
        try {
            loaded = ConfigReader.node().read(main.config, flags);
        } catch (ConfigException e) {
            e.problems().forEach(p -> System.err.println("edge-node: " + p));
            return 2;
        }
        EdgeNode node;
        try {
            node = EdgeNode.start(loaded.value(), loaded.source(), clock);
        } catch (ConfigException e) {
            e.problems().forEach(p -> System.err.println("edge-node: " + p));
            return 2;
        } catch (IOException | RuntimeException e) {
            System.err.println("edge-node: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "shutdown"));
        node.refusal().thenRun(stopped::countDown);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String refused = node.refusal().getNow(null);
        if (refused != null) {
            // e.g. two nodes given one id: neither may serve under a name that is not its own
            System.err.println("edge-node: " + refused);
            node.close();
            return 2;
        }
        return 0;
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = EdgeNodeMain.class.getPackage().getImplementationVersion();
            return new String[] {"edge-node " + (v == null ? "dev" : v)};
        }
    }
}
