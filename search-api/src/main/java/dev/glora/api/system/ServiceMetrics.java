package dev.glora.api.system;

import dev.glora.db.Sql;
import dev.glora.jobs.JobStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.springframework.stereotype.Component;

/**
 * What the database knows, as gauges for every worker together: jobs by status, queue depth by task
 * kind, leases held, and the best validation accuracy of each unfinished or recent job. Read every
 * 5 seconds, not at every scrape. (Evaluation and training-step times come from the in-process
 * workers' own timers.)
 */
@Component
class ServiceMetrics implements MeterBinder {

    private final DataSource database;
    private volatile Map<String, Double> snapshot = Map.of();
    private volatile List<double[]> best = List.of();

    ServiceMetrics(DataSource database) {
        this.database = database;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (JobStatus status : JobStatus.values()) {
            Gauge.builder("glora.jobs", this, m -> m.snapshot.getOrDefault("job:" + status, 0.0))
                    .tag("status", status.name())
                    .description("jobs by status")
                    .register(registry);
        }
        for (String kind : List.of("TRAIN", "COORDINATE", "EVALUATE")) {
            Gauge.builder(
                            "glora.queue.depth",
                            this,
                            m -> m.snapshot.getOrDefault("ready:" + kind, 0.0))
                    .tag("kind", kind)
                    .description("tasks ready and waiting for a worker")
                    .register(registry);
        }
        Gauge.builder("glora.leases.held", this, m -> m.snapshot.getOrDefault("running", 0.0))
                .description("tasks held by a worker")
                .register(registry);
        Gauge.builder(
                        "glora.candidates.stored",
                        this,
                        m -> m.snapshot.getOrDefault("candidates", 0.0))
                .description("candidates evaluated and stored, all jobs")
                .register(registry);
        MultiGauge bestFitness =
                MultiGauge.builder("glora.job.best.accuracy")
                        .description("best validation accuracy so far, per job")
                        .register(registry);
        ScheduledExecutorService refresh =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread thread = new Thread(r, "glora-metrics");
                            thread.setDaemon(true);
                            return thread;
                        });
        refresh.scheduleWithFixedDelay(
                () -> {
                    try {
                        read();
                        bestFitness.register(
                                best.stream()
                                        .map(
                                                row ->
                                                        MultiGauge.Row.of(
                                                                Tags.of(
                                                                        "job",
                                                                        Long.toString(
                                                                                (long) row[0])),
                                                                row[1]))
                                        .toList(),
                                true);
                    } catch (RuntimeException e) {
                        // the database is briefly away: keep the last values, the health check
                        // reports it
                    }
                },
                0,
                5,
                TimeUnit.SECONDS);
    }

    private void read() {
        Sql.inTransaction(
                database,
                "reading metrics",
                connection -> {
                    Map<String, Double> values = new HashMap<>();
                    try (PreparedStatement select =
                                    connection.prepareStatement(
                                            "SELECT 'job:' || status, count(*) FROM job"
                                                    + " GROUP BY status UNION ALL SELECT 'ready:' || kind, count(*)"
                                                    + " FROM task WHERE status = 'READY'"
                                                    + " GROUP BY kind UNION ALL SELECT 'running', count(*) FROM task"
                                                    + " WHERE status = 'RUNNING'"
                                                    + " UNION ALL SELECT 'candidates', count(*) FROM candidate");
                            ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            values.put(rows.getString(1), rows.getDouble(2));
                        }
                    }
                    List<double[]> jobs = new ArrayList<>();
                    try (PreparedStatement select =
                                    connection.prepareStatement(
                                            "SELECT id, best_accuracy FROM job WHERE"
                                                    + " best_accuracy IS NOT NULL ORDER BY id DESC LIMIT 50");
                            ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            jobs.add(new double[] {rows.getLong(1), rows.getDouble(2)});
                        }
                    }
                    snapshot = values;
                    best = jobs;
                    return null;
                });
    }
}
