package dev.outpost.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every leaf command has: the context, the connection flags and {@code --output}. */
abstract class Base implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Connection connection;

    @Mixin
    Output output;

    CliContext ctx() {
        return ((OutpostCli) spec.root().userObject()).context();
    }

    ApiClient client() {
        return connection.client(ctx());
    }
}
