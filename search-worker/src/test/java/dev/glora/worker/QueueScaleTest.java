package dev.glora.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.Listener;
import dev.glora.db.Sql;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import dev.glora.queue.Task;
import dev.glora.queue.TaskKind;
import dev.glora.search.Encoding;
import dev.glora.search.Evaluator;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Issue 34: the coordinator and the queue at many workers. The real coordinator's evaluator ({@link
 * QueueEvaluator}) queues each generation's candidates as {@code EVALUATE} tasks on the embedded
 * PostgreSQL; simulated workers (threads, each with the real claim and completion statements) take
 * them, spend a fixed time per candidate instead of scoring it, and complete them. A generation's
 * overhead is its wall time over the ideal (every worker busy every moment: {@code ceil(tasks /
 * workers) × candidates per task × candidate time}) minus one. Idle workers wait as real ones do,
 * woken when tasks are queued (their LISTEN) or after the poll interval; the coordinator waits as
 * {@link QueueEvaluator} tells its worker to ({@link QueueEvaluator#LOOK_AGAIN}).
 *
 * <p>The small run is a test (it checks the harness, not a speed); the measurement runs with {@code
 * -Dglora.queue-scale=32,64,128,256} and prints one JSON line per fleet size.
 */
@Timeout(1800)
class QueueScaleTest {

    /**
     * What one fleet size gave.
     *
     * @param workers simulated workers
     * @param generations generations run
     * @param candidates candidates per generation
     * @param perTask candidates per task
     * @param candidateMs the time each candidate takes
     * @param overhead mean over generations of wall / ideal - 1
     * @param claimMedianMs median time of a successful claim statement
     * @param claimP99Ms its 99th percentile
     * @param transactionsPerSecond the database's committed transactions per second during the run
     * @param connections connections the run held
     */
    record Result(
            int workers,
            int generations,
            int candidates,
            int perTask,
            long candidateMs,
            double overhead,
            double claimMedianMs,
            double claimP99Ms,
            double transactionsPerSecond,
            int connections) {

        String json() {
            return String.format(
                    Locale.ROOT,
                    "{\"workers\": %d, \"generations\": %d, \"candidates\": %d,"
                            + " \"per_task\": %d, \"candidate_ms\": %d, \"overhead\": %.4f, \"claim_median_ms\": %.2f,"
                            + " \"claim_p99_ms\": %.2f, \"transactions_per_s\": %.1f, \"connections\": %d}",
                    workers,
                    generations,
                    candidates,
                    perTask,
                    candidateMs,
                    overhead,
                    claimMedianMs,
                    claimP99Ms,
                    transactionsPerSecond,
                    connections);
        }
    }

    static Result run(
            int workers,
            int generations,
            int candidates,
            int perTask,
            Duration candidateTime,
            Duration poll)
            throws Exception {
        // one pool for the fleet, as a connection pooler in front of the database would be; real
        // worker processes hold their own (see BENCHMARKS)
        int connections = Math.min(workers + 2, 150);
        try (HikariDataSource database =
                TestDatabase.pool(TestDatabase.createDatabase(true), connections)) {
            Stores stores =
                    Stores.open(
                            database,
                            Clock.systemUTC(),
                            new QueueSettings(Duration.ofSeconds(60), Duration.ofMillis(100), 3));
            long job = stores.jobs().submit(TinyJob.spec(7, generations, candidates));
            Sql.inTransaction(
                    database,
                    "queueing the coordinator",
                    c -> stores.queue().enqueue(c, job, TaskKind.COORDINATE, "{}"));
            Task coordinatorTask =
                    stores.queue()
                            .claim("coordinator", EnumSet.of(TaskKind.COORDINATE), job)
                            .orElseThrow();
            HeldTask coordinator = new HeldTask(coordinatorTask);
            Object wake = new Object();
            AtomicBoolean running = new AtomicBoolean(true);
            List<Long> claimNanos = Collections.synchronizedList(new ArrayList<>());
            List<Thread> fleet = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                String name = "sim-" + w;
                Thread thread =
                        new Thread(
                                () -> {
                                    while (running.get()) {
                                        long start = System.nanoTime();
                                        Optional<Task> claimed =
                                                stores.queue()
                                                        .claim(
                                                                name,
                                                                EnumSet.of(TaskKind.EVALUATE),
                                                                null);
                                        if (claimed.isEmpty()) {
                                            synchronized (wake) {
                                                try {
                                                    wake.wait(poll.toMillis());
                                                } catch (InterruptedException e) {
                                                    return;
                                                }
                                            }
                                            continue;
                                        }
                                        claimNanos.add(System.nanoTime() - start);
                                        EvaluationTask payload =
                                                EvaluationTask.parse(claimed.get().payload());
                                        try {
                                            Thread.sleep(
                                                    candidateTime.toMillis()
                                                            * payload.alleles().size());
                                        } catch (InterruptedException e) {
                                            return;
                                        }
                                        List<Evaluator.Score> scores = new ArrayList<>();
                                        payload.alleles()
                                                .forEach(
                                                        a ->
                                                                scores.add(
                                                                        new Evaluator.Score(
                                                                                0.5, true)));
                                        stores.queue()
                                                .complete(
                                                        claimed.get().lease(),
                                                        new EvaluationTask.Result(scores).json());
                                    }
                                },
                                name);
                thread.setDaemon(true);
                fleet.add(thread);
                thread.start();
            }
            // the fleet hears of queued tasks through LISTEN/NOTIFY, as workers do (one listener
            // for all)
            Listener listener =
                    new Listener(
                            database,
                            "glora_task",
                            poll,
                            notified -> {
                                synchronized (wake) {
                                    wake.notifyAll();
                                }
                            },
                            "sim-listener");
            listener.start();
            Encoding encoding =
                    new Encoding(
                            Supernet.layerShapes(TinyModels.tinyArch()), SearchSpace.ofRanks(4, 2));
            QueueEvaluator evaluator =
                    new QueueEvaluator(
                            stores,
                            new QueueEvaluator.LocalWork() {
                                @Override
                                public boolean runOne(long jobId, TaskKind kind) {
                                    return false; // the coordinator only coordinates here
                                }

                                @Override
                                public void awaitWork(Duration atMost) {
                                    try {
                                        // -Dglora.queue-scale.whole-poll: the coordinator as it
                                        // was, a whole poll between looks
                                        Thread.sleep(
                                                Boolean.getBoolean("glora.queue-scale.whole-poll")
                                                        ? poll.toMillis()
                                                        : Math.min(
                                                                poll.toMillis(),
                                                                atMost.toMillis()));
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                }
                            },
                            coordinator,
                            encoding,
                            perTask);
            SplittableRandom random = new SplittableRandom(1);
            long transactionsBefore = transactions(database);
            long runStart = System.nanoTime();
            double overheadSum = 0;
            int tasks = (candidates + perTask - 1) / perTask;
            double ideal =
                    Math.ceil((double) tasks / workers)
                            * perTask
                            * candidateTime.toMillis()
                            / 1000.0;
            for (int g = 0; g < generations; g++) {
                List<SubnetConfig> configs = new ArrayList<>();
                for (int i = 0; i < candidates; i++) {
                    configs.add(encoding.decode(encoding.random(random)));
                }
                long start = System.nanoTime();
                Evaluator.Score[] scores = evaluator.evaluate(configs, Double.NEGATIVE_INFINITY);
                assertEquals(candidates, scores.length);
                overheadSum += (System.nanoTime() - start) / 1e9 / ideal - 1;
            }
            double seconds = (System.nanoTime() - runStart) / 1e9;
            long transactionsAfter = transactions(database);
            running.set(false);
            listener.close();
            synchronized (wake) {
                wake.notifyAll();
            }
            for (Thread thread : fleet) {
                thread.join(10_000);
            }
            long[] claims = claimNanos.stream().mapToLong(Long::longValue).sorted().toArray();
            return new Result(
                    workers,
                    generations,
                    candidates,
                    perTask,
                    candidateTime.toMillis(),
                    overheadSum / generations,
                    claims[claims.length / 2] / 1e6,
                    claims[Math.min(claims.length - 1, (int) (claims.length * 0.99))] / 1e6,
                    (transactionsAfter - transactionsBefore) / seconds,
                    connections);
        }
    }

    private static long transactions(DataSource database) throws Exception {
        try (Connection c = database.getConnection();
                Statement s = c.createStatement();
                ResultSet r =
                        s.executeQuery(
                                "SELECT xact_commit FROM pg_stat_database WHERE datname ="
                                        + " current_database()")) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void aSmallFleetRunsEveryGenerationAndTheHarnessReportsItsOverhead() throws Exception {
        Result result = run(4, 2, 24, 2, Duration.ofMillis(20), Duration.ofMillis(50));
        assertEquals(4, result.workers());
        assertTrue(Double.isFinite(result.overhead()) && result.overhead() > -0.5, result.json());
        assertTrue(result.claimMedianMs() > 0 && result.transactionsPerSecond() > 0, result.json());
    }

    /**
     * The measurement: {@code -Dglora.queue-scale=32,64,128,256} (and optionally
     * -Dglora.queue-scale.ms=…).
     */
    @Test
    @EnabledIfSystemProperty(named = "glora.queue-scale", matches = ".+")
    void theCoordinatorAtScale() throws Exception {
        long ms = Long.getLong("glora.queue-scale.ms", 1000);
        int candidates = Integer.getInteger("glora.queue-scale.candidates", 1024);
        int perTask = Integer.getInteger("glora.queue-scale.per-task", 5);
        Map<Integer, Result> results = new LinkedHashMap<>();
        for (String w : System.getProperty("glora.queue-scale").split(",")) {
            Result result =
                    run(
                            Integer.parseInt(w.trim()),
                            3,
                            candidates,
                            perTask,
                            Duration.ofMillis(ms),
                            Duration.ofSeconds(2));
            results.put(result.workers(), result);
            System.out.println("QUEUE-SCALE " + result.json());
        }
        assertTrue(
                results.values().stream().allMatch(r -> Double.isFinite(r.overhead())),
                Arrays.toString(results.values().toArray()));
    }
}
