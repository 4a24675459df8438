package dev.glora.queue;

/** Where a task stands; the {@code task.status} column holds these names. */
public enum TaskStatus {
    /** Waiting to be claimed (after its {@code run_after}). */
    READY,
    /** Claimed and held under a lease. */
    RUNNING,
    /** Finished; its result is stored. */
    DONE,
    /** Out of attempts, or failed for a reason no retry fixes; its job has failed. */
    DEAD,
    /** Its job was cancelled. */
    CANCELLED
}
