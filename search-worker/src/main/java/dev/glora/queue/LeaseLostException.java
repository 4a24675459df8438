package dev.glora.queue;

import dev.glora.supernet.GloraException;

/**
 * The task was requeued, cancelled or claimed by another worker: this worker must stop its work.
 * Neither bad input nor a fault, so outside the {@link GloraException} family.
 */
public class LeaseLostException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param lease the lease that no longer holds
     */
    public LeaseLostException(Lease lease) {
        super(
                "task "
                        + lease.taskId()
                        + " is no longer held by "
                        + lease.owner()
                        + " at version "
                        + lease.version());
    }
}
