package dev.outpost.controlplane;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the control plane. */
@Command(name = "control-plane", mixinStandardHelpOptions = true,
        description = "Outpost control plane: node registry, config distribution, purge fan-out, GeoDNS.")
public final class ControlPlaneMain implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new ControlPlaneMain()).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
