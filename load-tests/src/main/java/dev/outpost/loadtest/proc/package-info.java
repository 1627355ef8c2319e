/**
 * External processes for the suite: {@link dev.outpost.loadtest.proc.Proc} runs and bounds
 * every command (pinned with {@code taskset}), {@link dev.outpost.loadtest.proc.ProcessMemory}
 * reads a server's resident memory from {@code /proc}.
 */
package dev.outpost.loadtest.proc;
