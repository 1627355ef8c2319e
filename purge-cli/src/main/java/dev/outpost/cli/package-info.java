/**
 * The operator's command line ({@code outpost}, picocli) over the control plane's API. Start with
 * {@link dev.outpost.cli.OutpostCli}: it lists the commands ({@code purge}, {@code config},
 * {@code nodes}, {@code stats}), each its own class; {@code ApiClient} turns every failure into
 * one line, and {@code CliContext} resolves the control plane and token (flags, then
 * environment, then {@code ~/.config/outpost/cli.yaml}).
 */
@NullMarked
package dev.outpost.cli;

import org.jspecify.annotations.NullMarked;
