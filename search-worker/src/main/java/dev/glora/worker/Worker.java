package dev.glora.worker;

import dev.glora.db.DatabaseException;
import dev.glora.db.Listener;
import dev.glora.db.Schema;
import dev.glora.jobs.Stores;
import dev.glora.queue.Lease;
import dev.glora.queue.LeaseLostException;
import dev.glora.queue.Task;
import dev.glora.queue.TaskKind;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.TorchRuntime;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A search worker: slots that claim tasks of any kind and run them, a heartbeat that renews the
 * leases it holds (and finds out which it lost) and requeues expired ones, and a listener that
 * wakes idle slots when a task is queued ({@code LISTEN glora_task}; polling is the fallback).
 *
 * <p>Errors in the user's input (a bad path, a corrupt checkpoint, a wrong label) fail the job at
 * once with their message; anything else is retried with back-off until the task is dead.
 */
public final class Worker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Worker.class.getName());

    private final Stores stores;
    private final WorkerSettings settings;

    /**
     * Keyed by lease (task and version): a task re-claimed by a sibling slot is the sibling's
     * entry.
     */
    private final Map<Lease, HeldTask> held = new ConcurrentHashMap<>();

    /** How long {@link #close} waits for a slot to finish the step it is in. */
    private static final long STOP_WAIT_MS = 60_000;

    private final Object wake = new Object();
    private final List<Thread> threads = new ArrayList<>();
    private final JobInputs inputs;
    private final SupernetTraining training;
    private final SearchCoordination coordination;
    private final CandidateEvaluation evaluation;
    private final FinalistTraining finalists;
    private volatile boolean running;
    private Listener listener;
    private final MeterRegistry metrics;

    /**
     * @param stores the service's tables
     * @param settings how it runs
     * @param metrics where it reports evaluation and training-step times, candidates evaluated and
     *     leases held
     */
    public Worker(Stores stores, WorkerSettings settings, MeterRegistry metrics) {
        this.stores = stores;
        this.settings = settings;
        this.inputs = new JobInputs(stores, settings);
        this.metrics = metrics;
        AtomicLong imageRate = new AtomicLong(Double.doubleToLongBits(0));
        Gauge.builder(
                        "glora.training.images.per.second",
                        imageRate,
                        r -> Double.longBitsToDouble(r.get()))
                .tag("worker", settings.name())
                .description("the last supernet training step's images per second")
                .register(metrics);
        this.training =
                new SupernetTraining(
                        stores,
                        settings,
                        inputs,
                        Timer.builder("glora.training.step")
                                .description("one supernet training step")
                                .register(metrics),
                        rate -> imageRate.set(Double.doubleToLongBits(rate)));
        this.coordination =
                new SearchCoordination(
                        stores,
                        new QueueEvaluator.LocalWork() {
                            @Override
                            public boolean runOne(long jobId, TaskKind kind) {
                                return Worker.this.runOne(jobId, kind);
                            }

                            @Override
                            public void awaitWork(Duration atMost) {
                                Worker.this.awaitWork(atMost);
                            }
                        },
                        inputs,
                        settings);
        this.evaluation =
                new CandidateEvaluation(
                        stores,
                        inputs,
                        Timer.builder("glora.evaluation")
                                .description("one candidate scored on the validation set")
                                .register(metrics),
                        Counter.builder("glora.candidates.evaluated").register(metrics));
        this.finalists = new FinalistTraining(stores, inputs, settings);
        Gauge.builder("glora.worker.leases", held, Map::size)
                .tag("worker", settings.name())
                .description("tasks this worker holds")
                .register(metrics);
        Gauge.builder(
                        "glora.worker.slots.busy",
                        held,
                        h ->
                                h.values().stream()
                                        .filter(t -> t.task().kind() != TaskKind.COORDINATE)
                                        .count())
                .tag("worker", settings.name())
                .description(
                        "slots running a task (a search's coordinator holds a lease, not a slot's work)")
                .register(metrics);
        Gauge.builder("glora.worker.slots", settings, WorkerSettings::slots)
                .tag("worker", settings.name())
                .description("slots this worker runs")
                .register(metrics);
    }

    /** Counts a task's outcome: claimed, finished, failed, released (handed back) or lease_lost. */
    private void count(Task task, String outcome) {
        Counter.builder("glora.worker.tasks")
                .tag("worker", settings.name())
                .tag("kind", task.kind().name().toLowerCase(Locale.ROOT))
                .tag("outcome", outcome)
                .description("tasks by kind and outcome")
                .register(metrics)
                .increment();
    }

    /**
     * Checks the schema and starts the threads.
     *
     * @throws DatabaseException if the schema is not the version this worker knows
     */
    public void start() {
        Schema.check(stores.database());
        TorchRuntime.setThreads(1);
        running = true;
        for (int i = 0; i < settings.slots(); i++) {
            threads.add(thread("glora-worker-slot-" + i, this::slot));
        }
        threads.add(thread("glora-worker-heartbeat", this::heartbeat));
        threads.forEach(Thread::start);
        listener =
                new Listener(
                        stores.database(),
                        "glora_task",
                        settings.poll(),
                        notified -> {
                            if (notified) {
                                wakeAll();
                            }
                        },
                        "glora-worker-listener");
        listener.start();
        LOG.info(
                () ->
                        "worker "
                                + settings.name()
                                + " started with "
                                + settings.slots()
                                + " slot(s)");
    }

    /**
     * @return the worker's name
     */
    public String name() {
        return settings.name();
    }

    private Thread thread(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private void slot() {
        while (running) {
            try {
                if (!runOne(null, null)) {
                    awaitWork();
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "worker " + settings.name() + ": " + e.getMessage(), e);
                pause();
            }
        }
    }

    /**
     * Claims one task and runs it to the end.
     *
     * @param jobId only this job's tasks, or null
     * @param kind only this kind, or null for any
     * @return whether there was a task
     */
    boolean runOne(Long jobId, TaskKind kind) {
        Optional<Task> claimed =
                stores.queue()
                        .claim(
                                settings.name(),
                                kind == null ? EnumSet.allOf(TaskKind.class) : EnumSet.of(kind),
                                jobId);
        if (claimed.isEmpty()) {
            return false;
        }
        Task task = claimed.get();
        count(task, "claimed");
        HeldTask mine = new HeldTask(task);
        held.put(task.lease(), mine);
        if (!running) {
            mine.markLost(); // claimed while closing: close() has already stopped the others
        }
        try {
            // PyTorch's thread count and autograd switch are per calling thread: set them for every
            // task this slot runs (autograd off: training turns it on for its own steps). Training
            // uses every thread the worker offers; scoring stays on one, so that a candidate's
            // score never depends on the worker that computes it.
            TorchRuntime.prepareThread(task.kind() == TaskKind.TRAIN ? settings.slots() : 1);
            try {
                switch (task.kind()) {
                    case TRAIN -> training.run(mine);
                    case COORDINATE -> coordination.run(mine);
                    case EVALUATE -> evaluation.run(mine);
                    case FINALIST -> finalists.run(mine);
                    default -> throw new IllegalStateException("unknown task kind " + task.kind());
                }
                count(task, "finished");
            } finally {
                TorchRuntime.setThreads(1);
            }
        } catch (LeaseLostException e) {
            count(task, "lease_lost");
            LOG.info(
                    () ->
                            "worker "
                                    + settings.name()
                                    + " stopped task "
                                    + task.id()
                                    + ": "
                                    + e.getMessage());
        } catch (DatabaseException e) {
            if (e.isTransient()) {
                // the database was away, not the task wrong: hand it back without spending an
                // attempt
                LOG.warning(
                        () ->
                                "worker "
                                        + settings.name()
                                        + " hands back task "
                                        + task.id()
                                        + ": "
                                        + e.getMessage());
                count(task, "released");
                releaseSafely(task, describe(task, e));
            } else {
                count(task, "failed");
                failSafely(task, describe(task, e), true);
            }
        } catch (GloraException e) {
            count(task, "failed");
            failSafely(task, describe(task, e), false);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            LOG.log(Level.WARNING, "task " + task.id() + " failed", e);
            count(task, "failed");
            failSafely(task, describe(task, e), true);
        } finally {
            held.remove(task.lease());
        }
        return true;
    }

    private static String describe(Task task, Throwable e) {
        String where =
                switch (task.kind()) {
                    case TRAIN -> "supernet training";
                    case COORDINATE -> "search";
                    case EVALUATE -> "candidate evaluation";
                    case FINALIST -> "finalist training";
                };
        String message =
                e instanceof GloraException || e instanceof DatabaseException
                        ? e.getMessage()
                        : e.toString();
        return where + " (task " + task.id() + ", attempt " + task.attempt() + "): " + message;
    }

    private void failSafely(Task task, String error, boolean retry) {
        try {
            stores.queue().fail(task.lease(), error, retry);
        } catch (RuntimeException e) {
            // the lease expires and the task is requeued: nothing is lost
            LOG.log(Level.WARNING, "could not record the failure of task " + task.id(), e);
        }
    }

    private void releaseSafely(Task task, String error) {
        try {
            stores.queue().release(task.lease(), error);
        } catch (RuntimeException e) {
            // the database is still away: the lease lapses and the task is requeued, no attempt
            // spent
            LOG.log(Level.FINE, "could not hand back task " + task.id(), e);
        }
    }

    /** Waits until a task may be ready (a notification) or the poll interval passes. */
    void awaitWork() {
        awaitWork(settings.poll());
    }

    /** Waits for a notification, the poll interval or {@code atMost}, whichever comes first. */
    void awaitWork(Duration atMost) {
        synchronized (wake) {
            try {
                wake.wait(Math.max(1, Math.min(settings.poll().toMillis(), atMost.toMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    private void wakeAll() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    private void heartbeat() {
        while (running) {
            try {
                for (HeldTask task : held.values()) {
                    if (!stores.queue().heartbeat(task.task().lease())) {
                        task.markLost();
                    }
                }
                if (!stores.queue().requeueExpired().isEmpty()) {
                    wakeAll();
                }
            } catch (RuntimeException e) {
                LOG.log(
                        Level.WARNING,
                        "worker " + settings.name() + ": heartbeat failed: " + e.getMessage());
            }
            sleep(settings.heartbeat().toMillis());
        }
    }

    private void pause() {
        sleep(Math.max(100, settings.poll().toMillis()));
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Stops claiming, and stops every running task at its next check (a training step, a
     * candidate): their leases expire and they are requeued, spending no attempt. Waits for the
     * slots to leave native code, because a JVM that exits while a slot is inside libtorch crashes
     * (SIGSEGV in the exiting VM).
     */
    @Override
    public void close() {
        running = false;
        if (listener != null) {
            listener.close();
        }
        wakeAll();
        held.values().forEach(HeldTask::markLost);
        threads.forEach(Thread::interrupt);
        for (Thread thread : threads) {
            try {
                thread.join(STOP_WAIT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        inputs.close();
    }
}
