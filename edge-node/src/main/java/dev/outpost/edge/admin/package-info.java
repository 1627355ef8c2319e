/**
 * The admin listener of a node (health, Prometheus metrics, JSON stats, purge): start at
 * {@link dev.outpost.edge.admin.AdminHandler}.
 */
@NullMarked
package dev.outpost.edge.admin;

import org.jspecify.annotations.NullMarked;
