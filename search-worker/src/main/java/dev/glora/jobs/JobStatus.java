package dev.glora.jobs;

/** Where a job stands. */
public enum JobStatus {
    /** Submitted; no worker has started it. */
    QUEUED,
    /** Its supernet is being trained. */
    TRAINING,
    /** Its generations are being bred and evaluated. */
    SEARCHING,
    /** The best subnet is being merged, scored on test and stored. */
    EXPORTING,
    /** Done: results can be downloaded. */
    SUCCEEDED,
    /** Stopped by an error, which the job records. */
    FAILED,
    /** Stopped by a user. */
    CANCELLED;

    /**
     * @return whether the job can change no more
     */
    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
