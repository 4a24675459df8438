package dev.glora.queue;

/** What a task does; lower priority numbers are claimed first. */
public enum TaskKind {
    /** Score a batch of candidates on the supernet: short, and what keeps a search moving. */
    EVALUATE(0),
    /**
     * Train one finalist briefly from the supernet's weights (issue 30): what keeps an export
     * moving.
     */
    FINALIST(0),
    /** Run a job's search: breeds generations and waits for their evaluations. */
    COORDINATE(1),
    /** Train a job's supernet. */
    TRAIN(2);

    private final int priority;

    TaskKind(int priority) {
        this.priority = priority;
    }

    /**
     * @return the claim order, lowest first
     */
    public int priority() {
        return priority;
    }
}
