/**
 * The work queue in PostgreSQL, after db-scheduler: one statement claims a task
 * ({@code FOR UPDATE SKIP LOCKED}), heartbeats hold the lease, every result write is fenced by
 * the lease's version, expired leases are requeued with back-off, and a task that runs out of
 * attempts is dead and fails its job. Time comes from an injected {@link java.time.Clock}.
 */
package dev.glora.queue;
