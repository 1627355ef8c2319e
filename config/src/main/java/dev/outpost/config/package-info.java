/**
 * The typed configuration model shared by every part of Outpost, and how it is read.
 *
 * <p>Start with {@link dev.outpost.config.NodeConfig} (what an edge or shield node runs with)
 * and {@link dev.outpost.config.DeliveryConfig} (hosts, origins and per-path rules: the part
 * the control plane versions and pushes). {@link dev.outpost.config.ConfigReader} reads either
 * from YAML or JSON with flags laid over the file, and {@link dev.outpost.config.ConfigValidator}
 * refuses what cannot run; every problem names file, line and key through a
 * {@link dev.outpost.config.SourceMap}. {@link dev.outpost.config.OutpostJson} is the one
 * Jackson setup (kebab-case keys, durations like {@code 30s}, sizes like {@code 256MiB}).
 */
package dev.outpost.config;
