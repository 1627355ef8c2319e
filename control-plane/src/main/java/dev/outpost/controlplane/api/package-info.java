/**
 * The control plane's HTTP surface. Start with {@link dev.outpost.controlplane.api.ApiServer}:
 * its {@code routes()} lists every endpoint with the token scope it needs. {@code NodeStreams}
 * is the nodes' Server-Sent Events subscription (config first, missed purges in order, a
 * {@code synced} marker, then live events); {@code TokenAuth} compares bearer tokens in
 * constant time; {@code RateLimiter} bounds purges per client.
 */
package dev.outpost.controlplane.api;
