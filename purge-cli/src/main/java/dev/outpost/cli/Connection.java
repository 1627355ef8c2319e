package dev.outpost.cli;

import picocli.CommandLine.Option;

/** {@code --control-plane} and {@code --token}, shared by every command that talks to the control plane. */
final class Connection {

    @Option(names = "--control-plane", paramLabel = "URL",
            description = "control plane URL; else $OUTPOST_CONTROL_PLANE, else control-plane: in ~/.config/outpost/cli.yaml")
    String url;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "bearer token; else $OUTPOST_TOKEN, else token: in ~/.config/outpost/cli.yaml")
    String token;

    ApiClient client(CliContext ctx) {
        return ctx.client(url, token);
    }
}
