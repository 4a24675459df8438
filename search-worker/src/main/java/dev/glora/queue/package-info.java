/**
 * The work queue in PostgreSQL, after db-scheduler: one statement claims a task ({@code FOR UPDATE
 * SKIP LOCKED}), heartbeats hold the lease, every result write is fenced by the lease's version,
 * expired leases are requeued with back-off, and a task that runs out of attempts (its own
 * failures; a lapsed lease or a database error spends none) is dead and fails its job. Lease and
 * back-off times come from the database's clock ({@code now()}), so no worker's clock can expire
 * another's lease; tests that move time inject a {@link Clock} for them ({@code
 * Stores.openWithLeaseClock}).
 */
package dev.glora.queue;

import java.time.Clock;
