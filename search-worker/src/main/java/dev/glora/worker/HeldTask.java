package dev.glora.worker;

import dev.glora.queue.LeaseLostException;
import dev.glora.queue.Task;
import java.util.concurrent.atomic.AtomicBoolean;

/** A task a worker runs, and whether its lease was lost (the heartbeat finds out). */
final class HeldTask {

    private final Task task;
    private final AtomicBoolean lost = new AtomicBoolean();

    HeldTask(Task task) {
        this.task = task;
    }

    Task task() {
        return task;
    }

    void markLost() {
        lost.set(true);
    }

    /**
     * @throws LeaseLostException if the lease was lost: the work must stop
     */
    void check() {
        if (lost.get()) {
            throw new LeaseLostException(task.lease());
        }
    }
}
