/**
 * Search workers: they claim the tasks of the queue (train a supernet, coordinate a search,
 * evaluate candidates), hold their leases with heartbeats, and write results only under a lease
 * that still holds. Any number of workers, in any number of processes, share one database.
 */
package dev.glora.worker;
