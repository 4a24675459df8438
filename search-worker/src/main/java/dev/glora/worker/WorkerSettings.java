package dev.glora.worker;

import dev.glora.jobs.Roots;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a worker runs.
 *
 * @param name its name in the queue ({@code picked_by}); unique per process
 * @param slots tasks it runs at once; a supernet training task uses this many PyTorch threads,
 *     every other task one
 * @param roots where job paths resolve
 * @param cacheDir where it keeps supernets and training resume points on local disk
 * @param heartbeat how often it renews its leases and requeues expired ones
 * @param poll how long an idle slot waits for a notification before it looks again
 * @param candidatesPerTask candidates per evaluation task
 * @param imageBatch images per forward pass
 */
public record WorkerSettings(
        String name,
        int slots,
        Roots roots,
        Path cacheDir,
        Duration heartbeat,
        Duration poll,
        int candidatesPerTask,
        int imageBatch) {

    /** Checks every value. */
    public WorkerSettings {
        if (slots < 1 || candidatesPerTask < 1 || imageBatch < 1) {
            throw new IllegalArgumentException(
                    "threads, candidates per task and image batch must be at least 1, got "
                            + slots
                            + ", "
                            + candidatesPerTask
                            + ", "
                            + imageBatch);
        }
    }
}
