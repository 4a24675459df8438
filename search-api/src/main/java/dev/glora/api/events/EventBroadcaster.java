package dev.glora.api.events;

import dev.glora.jobs.JobEvent;
import dev.glora.jobs.JobStore;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Streams job events to server-sent-event subscribers. Events are rows written by whichever
 * worker made them (in this process or another); a trigger notifies {@code glora_event}, and one
 * listener thread here reads the new rows and sends them on. A subscriber first gets the job's
 * history after the id it names ({@code Last-Event-ID}), then everything live, each event once.
 */
@Component
class EventBroadcaster implements SmartLifecycle {

    private static final Logger LOG = Logger.getLogger(EventBroadcaster.class.getName());
    private static final long POLL_MS = 1000;

    /** One subscriber: the emitter and the last event id it was sent. */
    private static final class Subscriber {
        final long jobId;
        final SseEmitter emitter;
        long lastSent;

        Subscriber(long jobId, SseEmitter emitter) {
            this.jobId = jobId;
            this.emitter = emitter;
        }
    }

    private final JobStore jobs;
    private final DataSource database;
    private final Map<Long, Set<Subscriber>> subscribers = new ConcurrentHashMap<>();
    private volatile boolean running;
    private volatile long lastSeen;
    private Thread listener;

    EventBroadcaster(JobStore jobs, DataSource database) {
        this.jobs = jobs;
        this.database = database;
    }

    /** Subscribers to every job's events. */
    static final long ALL_JOBS = 0;

    /**
     * @param jobId the job, or {@link #ALL_JOBS}
     * @param after send history after this event id (for all jobs: only live events)
     * @return an emitter that never times out on its own
     */
    SseEmitter subscribe(long jobId, long after) {
        SseEmitter emitter = new SseEmitter(0L);
        Subscriber subscriber = new Subscriber(jobId, emitter);
        subscriber.lastSent = after;
        Set<Subscriber> set = subscribers.computeIfAbsent(jobId, id -> new CopyOnWriteArraySet<>());
        Runnable remove = () -> set.remove(subscriber);
        emitter.onCompletion(remove);
        emitter.onTimeout(remove);
        emitter.onError(e -> remove.run());
        // Holding the subscriber while its history goes out keeps the listener from sending it a live
        // event first: that event's id would then hide the older history events (a lost QUEUED).
        synchronized (subscriber) {
            set.add(subscriber);
            try {
                // opens the stream at once, so that a client knows it is connected before any event
                emitter.send(SseEmitter.event().comment("subscribed"));
            } catch (IOException e) {
                set.remove(subscriber);
                return emitter;
            }
            if (jobId == ALL_JOBS) {
                subscriber.lastSent = Math.max(after, lastSeen);
            } else {
                send(subscriber, jobs.events(jobId, after));
            }
        }
        return emitter;
    }

    private void send(Subscriber subscriber, List<JobEvent> events) {
        synchronized (subscriber) {
            try {
                for (JobEvent event : events) {
                    if (event.id() > subscriber.lastSent) {
                        subscriber.emitter.send(SseEmitter.event().id(Long.toString(event.id())).name(event.type())
                                .data(subscriber.jobId == ALL_JOBS ? "{\"job\": " + event.jobId() + ", \"event\": "
                                        + event.data() + "}" : event.data(),
                                        org.springframework.http.MediaType.APPLICATION_JSON));
                        subscriber.lastSent = event.id();
                    }
                }
            } catch (IOException | IllegalStateException e) {
                subscribers.getOrDefault(subscriber.jobId, Set.of()).remove(subscriber);
            }
        }
    }

    private void dispatch() {
        List<JobEvent> events = jobs.events(null, lastSeen);
        for (JobEvent event : events) {
            lastSeen = Math.max(lastSeen, event.id());
            for (Subscriber subscriber : subscribers.getOrDefault(event.jobId(), Set.of())) {
                send(subscriber, List.of(event));
            }
            for (Subscriber subscriber : subscribers.getOrDefault(ALL_JOBS, Set.of())) {
                send(subscriber, List.of(event));
            }
        }
    }

    private void listen() {
        while (running) {
            try (Connection connection = database.getConnection()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN glora_event");
                }
                PGConnection pg = connection.unwrap(PGConnection.class);
                dispatch();
                while (running) {
                    pg.getNotifications((int) POLL_MS);
                    dispatch();
                }
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    LOG.log(Level.FINE, "event listener reconnects after: " + e.getMessage());
                    try {
                        Thread.sleep(POLL_MS);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    @Override
    public synchronized void start() {
        lastSeen = jobs.lastEventId();
        running = true;
        listener = new Thread(this::listen, "glora-event-listener");
        listener.setDaemon(true);
        listener.start();
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (listener != null) {
            listener.interrupt();
        }
        subscribers.values().forEach(set -> set.forEach(s -> s.emitter.complete()));
        subscribers.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
