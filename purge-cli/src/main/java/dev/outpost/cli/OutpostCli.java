package dev.outpost.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the operator's command line. */
@Command(name = "purge-cli", mixinStandardHelpOptions = true,
        description = "Outpost operator CLI: purge, config, nodes, stats.")
public final class OutpostCli implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new OutpostCli()).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
