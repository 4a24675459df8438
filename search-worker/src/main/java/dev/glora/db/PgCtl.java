package dev.glora.db;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs PostgreSQL's own programs ({@code initdb}, {@code pg_ctl}) on one cluster and reads its log.
 * Started by root, every program runs as {@code nobody} through {@code setpriv}, since PostgreSQL
 * refuses root.
 */
final class PgCtl {

    /** How long {@code pg_ctl start -w} waits for the server, in seconds. */
    static final int START_TIMEOUT_S = 120;

    private final Path bin;
    private final Path data;

    /**
     * @param bin the binaries' {@code bin} folder
     * @param data the cluster's folder
     */
    PgCtl(Path bin, Path data) {
        this.bin = bin;
        this.data = data;
    }

    /**
     * @return the server's log file
     */
    Path log() {
        return data.resolve("postgres.log");
    }

    /**
     * Runs {@code pg_ctl -D <cluster> args...}.
     *
     * @param args its arguments, the first its action
     * @param quiet whether a failure is ignored (stopping a server that may not run)
     * @throws DatabaseException unless quiet, when it fails: with its output and the log's tail
     */
    void run(List<String> args, boolean quiet) {
        List<String> command =
                new ArrayList<>(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString()));
        command.addAll(args);
        exec(command, quiet, "pg_ctl " + args.get(0));
    }

    /**
     * Makes the cluster, its superuser {@code postgres} with the password in {@code passwordFile}.
     *
     * @param passwordFile a file only the server's user can read
     */
    void initdb(Path passwordFile) {
        exec(
                List.of(
                        bin.resolve("initdb").toString(),
                        "-A",
                        "scram-sha-256",
                        "--pwfile=" + passwordFile,
                        "-U",
                        "postgres",
                        "-E",
                        "UTF-8",
                        "--no-locale",
                        "-D",
                        data.toString()),
                false,
                "initdb");
    }

    private void exec(List<String> command, boolean quiet, String step) {
        List<String> full = new ArrayList<>();
        boolean root = PosixUser.isRoot();
        if (root) {
            full.addAll(
                    List.of(
                            "setpriv",
                            "--reuid=" + PosixUser.NOBODY,
                            "--regid=" + PosixUser.NOBODY,
                            "--clear-groups",
                            "--"));
        }
        full.addAll(command);
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output =
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(START_TIMEOUT_S + 30L, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new DatabaseException("embedded PostgreSQL: " + step + " did not finish");
            }
            if (process.exitValue() != 0 && !quiet) {
                throw new DatabaseException(
                        "embedded PostgreSQL: "
                                + step
                                + " failed for "
                                + data
                                + (root
                                        ? " (run as nobody, since PostgreSQL refuses root: the folder and its parents"
                                                + " must be reachable by nobody)"
                                        : "")
                                + ":\n"
                                + output.strip()
                                + logTail());
            }
        } catch (IOException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: cannot run " + full.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatabaseException("embedded PostgreSQL: interrupted during " + step);
        }
    }

    /**
     * @return the log's size now, where {@link #portWasTaken} starts reading
     */
    long logSize() {
        try {
            return Files.size(log());
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * @return whether the server's log, since {@code offset}, says its port was in use
     */
    boolean portWasTaken(long offset) {
        try (SeekableByteChannel channel = Files.newByteChannel(log())) {
            channel.position(offset);
            String added =
                    new String(
                            Channels.newInputStream(channel).readNBytes(1 << 16),
                            StandardCharsets.UTF_8);
            return added.contains("Address already in use");
        } catch (IOException e) {
            return false;
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log());
            return "\n"
                    + log()
                    + ":\n"
                    + String.join(
                            "\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
