package dev.glora.api.system;

import dev.glora.jobs.JobStore;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * With {@code glora.retention} set (e.g. {@code 30d}), deletes every finished job that ended longer
 * ago than that, with everything it produced: at start-up and then every hour. Unset (the default),
 * jobs are kept until deleted ({@code DELETE /api/v1/jobs/{id}}).
 */
@Component
class Retention implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private final JobStore jobs;
    private final GloraProperties properties;
    private final Clock clock;
    private ScheduledExecutorService timer;

    Retention(JobStore jobs, GloraProperties properties, Clock clock) {
        this.jobs = jobs;
        this.properties = properties;
        this.clock = clock;
    }

    /**
     * @return how many jobs it deleted
     */
    int sweep() {
        if (properties.retention() == null) {
            return 0;
        }
        List<Long> old = jobs.finishedBefore(clock.instant().minus(properties.retention()));
        int deleted = 0;
        for (long id : old) {
            if (jobs.delete(id) == JobStore.Deletion.DELETED) {
                deleted++;
            }
        }
        if (deleted > 0) {
            int count = deleted;
            LOG.info(
                    "retention: deleted {} job(s) that ended more than {} ago",
                    count,
                    properties.retention());
        }
        return deleted;
    }

    @Override
    public synchronized void start() {
        if (properties.retention() == null) {
            return;
        }
        timer =
                Executors.newSingleThreadScheduledExecutor(
                        runnable -> {
                            Thread thread = new Thread(runnable, "glora-retention");
                            thread.setDaemon(true);
                            return thread;
                        });
        timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        sweep();
                    } catch (RuntimeException e) {
                        LOG.warn("retention: {}", e.getMessage());
                    }
                },
                0,
                1,
                TimeUnit.HOURS);
    }

    @Override
    public synchronized void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return timer != null;
    }
}
