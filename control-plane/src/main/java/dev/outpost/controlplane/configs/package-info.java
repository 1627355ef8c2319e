/**
 * Versioned delivery configs. Start with {@link dev.outpost.controlplane.configs.ConfigVersions}:
 * push (validated by the API with {@code ConfigReader.delivery()} before it gets here), targets,
 * rollback as a new version, history, diff, and which version each node should run.
 */
package dev.outpost.controlplane.configs;
