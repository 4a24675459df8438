package dev.glora.api.system;

import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.worker.Worker;
import dev.glora.worker.WorkerSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The workers that run inside the service (the embedded default): started once the schema is
 * migrated, stopped before the database goes. Their leases lapse on a crash like any worker's.
 */
@Component
class InProcessWorkers implements SmartLifecycle {

    private final Stores stores;
    private final GloraProperties properties;
    private final Roots roots;
    private final MeterRegistry metrics;
    private Worker worker;

    InProcessWorkers(
            Stores stores, GloraProperties properties, Roots roots, MeterRegistry metrics) {
        this.stores = stores;
        this.properties = properties;
        this.roots = roots;
        this.metrics = metrics;
    }

    @Override
    public synchronized void start() {
        if (properties.workers() > 0) {
            worker =
                    new Worker(
                            stores,
                            new WorkerSettings(
                                    "api-" + ManagementFactory.getRuntimeMXBean().getPid(),
                                    properties.workers(),
                                    roots,
                                    properties.cacheDir().toAbsolutePath(),
                                    Duration.ofSeconds(Math.max(1, properties.leaseSeconds() / 6)),
                                    Duration.ofSeconds(2),
                                    5,
                                    200),
                            metrics);
            worker.start();
        }
    }

    @Override
    public synchronized void stop() {
        if (worker != null) {
            worker.close();
            worker = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return worker != null;
    }
}
