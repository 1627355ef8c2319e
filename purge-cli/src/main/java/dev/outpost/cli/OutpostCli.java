package dev.outpost.cli;

import org.jspecify.annotations.Nullable;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the operator's command line over the control plane's API. Each command is its
 * own class listed in {@code subcommands}: adding one is one line here.
 */
@Command(name = "outpost", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        version = "outpost CLI 0.1",
        description = "Outpost operator CLI: purge, config, nodes, stats, dns.",
        subcommands = {
                PurgeCommand.class,
                ConfigCommand.class,
                NodesCommand.class,
                StatsCommand.class,
                DnsCommand.class,
                CommandLine.HelpCommand.class,
        },
        footer = {"",
                "Where the control plane and token come from, first found wins:",
                "  1. --control-plane URL and --token TOKEN",
                "  2. $OUTPOST_CONTROL_PLANE and $OUTPOST_TOKEN",
                "  3. control-plane: and token: in ~/.config/outpost/cli.yaml",
                "",
                "Exit codes: 0 done; 1 failed (unreachable, refused, invalid);",
                "2 bad usage; 3 purge --wait timed out before every healthy node acked."})
public final class OutpostCli implements Runnable {

    static final int EXIT_ERROR = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_INCOMPLETE = 3;

    private final CliContext context;

    OutpostCli(CliContext context) {
        this.context = context;
    }

    CliContext context() {
        return context;
    }

    public static void main(String[] args) {
        String home = System.getProperty("user.home");
        System.exit(run(args, System.out, System.err, System.getenv(), home == null ? null : Path.of(home)));
    }

    /** Runs one command line; returns the exit code. Output goes to {@code out} and {@code err}, never a stack trace. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env, @Nullable Path home) {
        CliContext ctx = new CliContext(out, err, env, home);
        CommandLine cl = new CommandLine(new OutpostCli(ctx));
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println("outpost: " + firstLine(ex.getMessage()) + " (see '" + cmd + " --help')");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof CliException c) {
                err.println("outpost: " + c.getMessage());
                return c.exitCode;
            }
            err.println("outpost: unexpected failure: " + ex.getClass().getSimpleName()
                    + (ex.getMessage() == null ? "" : ": " + firstLine(ex.getMessage())));
            return EXIT_ERROR;
        });
        return cl.execute(args);
    }

    private static String firstLine(@Nullable String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    @Override
    public void run() {
        CommandLine.usage(this, context.out);
    }
}
