package dev.glora.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import dev.glora.supernet.GloraException;
import dev.glora.worker.MetricsServer;
import dev.glora.worker.Worker;
import dev.glora.worker.WorkerSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code glora worker}: a search worker that takes tasks from the service's database until stopped.
 */
@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        description =
                "Run a search worker against the service's PostgreSQL: it trains supernets, coordinates"
                        + " searches and evaluates candidates for any job, sharing the work with every other worker on the"
                        + " same database. Runs until stopped; a stopped or killed worker's tasks go to another.")
final class WorkerCommand implements Callable<Integer> {

    @Option(
            names = "--db",
            paramLabel = "JDBC_URL",
            defaultValue = "${env:GLORA_DB_URL}",
            description =
                    "the database, e.g. jdbc:postgresql://host:5432/glora (default: $GLORA_DB_URL)")
    private String url;

    @Option(
            names = "--db-user",
            defaultValue = "${env:GLORA_DB_USER}",
            description = "(default: $GLORA_DB_USER)")
    private String user;

    @Option(
            names = "--db-password",
            defaultValue = "${env:GLORA_DB_PASSWORD}",
            description = "(default: $GLORA_DB_PASSWORD)")
    private String password;

    @Option(
            names = "--db-password-file",
            paramLabel = "FILE",
            description =
                    "read the password from the first line of FILE (the embedded database's: its data folder"
                            + " name + .secret, e.g. glora-data/postgres.secret); keeps it out of process lists")
    private Path passwordFile;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "tasks run at once (default: ${DEFAULT-VALUE})")
    private int threads;

    @Option(
            names = "--model-root",
            defaultValue = "${env:GLORA_MODEL_ROOT:-models}",
            paramLabel = "DIR",
            description = "where job backbones resolve (default: ${DEFAULT-VALUE})")
    private Path modelRoot;

    @Option(
            names = "--data-root",
            defaultValue = "${env:GLORA_DATA_ROOT:-data}",
            paramLabel = "DIR",
            description = "where job task folders resolve (default: ${DEFAULT-VALUE})")
    private Path dataRoot;

    @Option(
            names = "--cache",
            paramLabel = "DIR",
            description =
                    "local cache of supernets (default: a folder in the" + " temporary folder)")
    private Path cache;

    @Option(
            names = "--lease",
            defaultValue = "60",
            description =
                    "seconds a task is held without a heartbeat"
                            + " (default: ${DEFAULT-VALUE}); every worker of a database should use the same")
    private int leaseSeconds;

    @Option(
            names = "--heartbeat",
            defaultValue = "10",
            description = "seconds between heartbeats (default:" + " ${DEFAULT-VALUE})")
    private int heartbeatSeconds;

    @Option(names = "--name", description = "the worker's name in the queue (default: host-pid)")
    private String name;

    @Option(
            names = "--alive-file",
            defaultValue = "${env:GLORA_WORKER_ALIVE_FILE}",
            paramLabel = "FILE",
            description =
                    "touched every --heartbeat seconds while the database answers, for a container's"
                            + " health check (default: $GLORA_WORKER_ALIVE_FILE, else none)")
    private Path aliveFile;

    @Option(
            names = "--metrics-port",
            defaultValue = "${env:GLORA_WORKER_METRICS_PORT}",
            paramLabel = "PORT",
            description =
                    "serve the worker's metrics for Prometheus at http://ADDRESS:PORT/metrics (tasks by kind and"
                            + " outcome, leases and lost leases, busy slots, candidate and training-step times, training"
                            + " images/s, JVM memory) (default: $GLORA_WORKER_METRICS_PORT, else none)")
    private Integer metricsPort;

    @Option(
            names = "--metrics-address",
            defaultValue = "${env:GLORA_WORKER_METRICS_ADDRESS:-127.0.0.1}",
            paramLabel = "ADDRESS",
            description =
                    "the address the metrics are served on: loopback unless set; 0.0.0.0"
                            + " in a container whose scraper is outside it (default: $GLORA_WORKER_METRICS_ADDRESS, else"
                            + " ${DEFAULT-VALUE})")
    private String metricsAddress;

    private String password() {
        if (passwordFile == null) {
            return password;
        }
        try (BufferedReader in = Files.newBufferedReader(passwordFile)) {
            String line = in.readLine();
            if (line == null || line.isBlank()) {
                throw new GloraException(
                        passwordFile + ": empty, expected the database password on its first line");
            }
            return line.strip();
        } catch (IOException e) {
            throw new GloraException(
                    "--db-password-file " + passwordFile + ": cannot read it: " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        if (url == null || url.isBlank()) {
            throw new GloraException("no database: give --db JDBC_URL or set GLORA_DB_URL");
        }
        String me =
                name != null ? name : host() + "-" + ManagementFactory.getRuntimeMXBean().getPid();
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(url);
        pool.setUsername(user);
        pool.setPassword(password());
        pool.setMaximumPoolSize(threads + 4);
        pool.setPoolName("glora-worker");
        pool.setInitializationFailTimeout(30_000);
        Path cacheDir =
                cache != null
                        ? cache
                        : Path.of(System.getProperty("java.io.tmpdir"), "glora-worker-cache");
        try (HikariDataSource database = new HikariDataSource(pool)) {
            Stores stores =
                    Stores.open(
                            database,
                            Clock.systemUTC(),
                            new QueueSettings(
                                    Duration.ofSeconds(leaseSeconds),
                                    QueueSettings.DEFAULTS.backoff(),
                                    QueueSettings.DEFAULTS.maxAttempts()));
            WorkerSettings settings;
            try {
                settings =
                        new WorkerSettings(
                                me,
                                threads,
                                new Roots(modelRoot.toAbsolutePath(), dataRoot.toAbsolutePath()),
                                cacheDir,
                                Duration.ofSeconds(heartbeatSeconds),
                                Duration.ofSeconds(2),
                                5,
                                200);
            } catch (IllegalArgumentException e) {
                throw new GloraException(e.getMessage());
            }
            CountDownLatch stopped = new CountDownLatch(1);
            MeterRegistry registry = new SimpleMeterRegistry();
            MetricsServer metrics = null;
            if (metricsPort != null) {
                if (metricsPort < 0 || metricsPort > 65535) {
                    throw new GloraException(
                            "--metrics-port must be 0 to 65535, got " + metricsPort);
                }
                PrometheusMeterRegistry prometheus =
                        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                new JvmMemoryMetrics().bindTo(prometheus);
                new JvmThreadMetrics().bindTo(prometheus);
                new ProcessorMetrics().bindTo(prometheus);
                registry = prometheus;
                try {
                    metrics =
                            MetricsServer.start(
                                    prometheus, InetAddress.getByName(metricsAddress), metricsPort);
                } catch (IOException e) {
                    throw new GloraException(
                            "--metrics-port "
                                    + metricsPort
                                    + " on "
                                    + metricsAddress
                                    + ": cannot"
                                    + " listen: "
                                    + e.getMessage());
                }
                System.err.printf(
                        "glora worker %s: metrics at http://%s:%d/metrics%n",
                        me, metricsAddress, metrics.port());
            }
            try (MetricsServer served = metrics;
                    Worker worker = new Worker(stores, settings, registry)) {
                worker.start();
                System.err.printf(
                        "glora worker %s: %d thread(s), models %s, data %s, database %s%n",
                        me,
                        threads,
                        modelRoot.toAbsolutePath(),
                        dataRoot.toAbsolutePath(),
                        url.replaceAll("password=[^&]*", "password=***"));
                Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
                do {
                    markAlive(database);
                } while (!stopped.await(heartbeatSeconds, TimeUnit.SECONDS));
            }
        }
        return 0;
    }

    /**
     * Touches the alive file when the database answers; otherwise the file ages and the check
     * fails.
     */
    private void markAlive(HikariDataSource database) {
        if (aliveFile == null) {
            return;
        }
        try (Connection c = database.getConnection()) {
            if (c.isValid(5)) {
                if (Files.exists(aliveFile)) {
                    Files.setLastModifiedTime(aliveFile, FileTime.from(Instant.now()));
                } else {
                    Files.createFile(aliveFile);
                }
            }
        } catch (SQLException | IOException e) {
            System.err.println("glora worker: not marked alive: " + e.getMessage());
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "worker";
        }
    }
}
