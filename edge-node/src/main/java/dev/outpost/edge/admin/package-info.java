/**
 * The admin listener of a node (health, Prometheus metrics, JSON stats, purge): start at
 * {@link dev.outpost.edge.admin.AdminHandler}.
 */
package dev.outpost.edge.admin;
