package dev.outpost.controlplane;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.flags.ConfigFlags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Entry point of the control plane: flags laid over an optional YAML file, then one
 * {@link ControlPlane} until SIGTERM, which stops it gracefully.
 */
@Command(name = "control-plane", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110, subcommands = MigrateCommand.class,
        description = {"Outpost control plane: node registry, config distribution, purge fan-out, fleet stats, GeoDNS.",
                "Every flag is also a key of the YAML file given with --config; flags win."},
        footer = {"", "Exit codes: 0 stopped cleanly, 2 bad flags or config, 1 failed to start."})
public final class ControlPlaneMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file")
    Path configFile;
    /** One flag per key of {@link ControlPlaneConfig}, derived from the model; help texts in {@code flags.properties}. */
    ConfigFlags flags;
    @Spec
    CommandSpec spec;

    /** The command line of the control plane: {@code --config} and a flag for every config key. */
    static CommandLine commandLine(ControlPlaneMain main) {
        CommandLine cl = new CommandLine(main);
        main.flags = ConfigFlags.register(cl.getCommandSpec(), ControlPlaneConfig.class,
                ControlPlaneMain.class.getResource("flags.properties"));
        return cl;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        CommandLine cl = commandLine(new ControlPlaneMain());
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println(ex.getCommandLine().getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see --help)");
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        ControlPlaneConfig config;
        try {
            config = ControlPlaneConfig.read(configFile, flags.values(spec.commandLine().getParseResult()));
        } catch (ConfigException e) {
            e.problems().forEach(p -> System.err.println("control-plane: " + p));
            return 2;
        }
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ControlPlane cp;
        try {
            cp = new ControlPlane(config, InstantSource.system(), meters).start();
        } catch (IllegalArgumentException e) {
            System.err.println("control-plane: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("control-plane: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            cp.close();
            stopped.countDown();
        }, "shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
