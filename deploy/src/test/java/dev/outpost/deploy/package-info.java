/**
 * Checks of everything under {@code deploy/} that can be checked on a machine without Docker,
 * Kubernetes or systemd running: the files parse and agree with each other and with the
 * services' real flags, listeners and metrics, the scripts pass shellcheck, the sample origin
 * speaks correct HTTP caching headers over a real socket, and the local fleet comes up and
 * serves the whole flow end to end with the real jars.
 *
 * <p>Start with {@link dev.outpost.deploy.LocalFleetEndToEndTest}; {@link dev.outpost.deploy.DeployFiles}
 * finds the files and runs commands for every test.
 */
package dev.outpost.deploy;
