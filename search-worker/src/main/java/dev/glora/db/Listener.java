package dev.glora.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * A PostgreSQL {@code LISTEN} loop on one channel, on its own daemon thread: once connected it
 * calls back with {@code true} (to catch up on what happened while it was not listening), then
 * after every wait of at most {@code poll} with whether a notification came. It reconnects after
 * any error, so a restarted database is listened to again.
 */
public final class Listener implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Listener.class.getName());

    private final DataSource database;
    private final String channel;
    private final Duration poll;
    private final Consumer<Boolean> wake;
    private final Thread thread;
    private volatile boolean running;

    /**
     * @param database the database
     * @param channel the channel, a plain identifier
     * @param poll the longest wait between callbacks
     * @param wake called with whether notifications arrived (true right after each connect)
     * @param threadName the listener thread's name
     */
    public Listener(
            DataSource database,
            String channel,
            Duration poll,
            Consumer<Boolean> wake,
            String threadName) {
        if (!channel.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("not a channel name: " + channel);
        }
        this.database = database;
        this.channel = channel;
        this.poll = poll;
        this.wake = wake;
        this.thread = new Thread(this::listen, threadName);
        this.thread.setDaemon(true);
    }

    /** Starts listening. */
    public void start() {
        running = true;
        thread.start();
    }

    private void listen() {
        int wait = (int) Math.max(1, poll.toMillis());
        while (running) {
            try (Connection connection = database.getConnection()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + channel);
                }
                PGConnection pg = connection.unwrap(PGConnection.class);
                wake.accept(true);
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(wait);
                    wake.accept(notifications != null && notifications.length > 0);
                }
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    LOG.log(
                            Level.FINE,
                            "listener on " + channel + " reconnects after: " + e.getMessage());
                    try {
                        Thread.sleep(Math.max(100, wait));
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    /** Stops listening (the thread ends within one poll). */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }

    /**
     * @return the listening thread, for joining
     */
    public Thread thread() {
        return thread;
    }
}
