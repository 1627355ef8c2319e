/**
 * The durable purge log. Start with {@link dev.outpost.controlplane.purge.PurgeLog}: a purge is
 * validated, written with its sequence number before the caller hears of it, fanned out to
 * nodes by their subscriptions, and complete once every healthy node has acked it.
 */
package dev.outpost.controlplane.purge;
