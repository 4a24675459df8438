package dev.glora.api.events;

import dev.glora.api.system.GloraProperties;
import dev.glora.db.Listener;
import dev.glora.jobs.JobEvent;
import dev.glora.jobs.JobStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Streams job events to server-sent-event subscribers. Events are rows written by whichever worker
 * made them (in this process or another); a trigger notifies {@code glora_event}, and one listener
 * thread here reads the new rows and hands them on. A subscriber first gets the job's history after
 * the id it names ({@code Last-Event-ID}), page by page, then everything live, each event once.
 *
 * <ul>
 *   <li><b>Fan-out never blocks</b>: the listener only puts events in each subscriber's bounded
 *       queue; a pool thread per busy subscriber writes them out. A subscriber whose queue
 *       overflows (a burst, or a slow client) is not dropped: its queue is let go and it catches up
 *       from the database after the last id it sent, page by page. A client that stopped reading is
 *       found by its writer being stuck in one write for twice the keep-alive period (at least 10
 *       s), and dropped; the others are not held up.
 *   <li><b>Bounded</b>: at most {@code glora.max-streams} streams (the controller answers 429
 *       beyond), each closed after {@code glora.stream-timeout} (a browser reconnects with its
 *       {@code Last-Event-ID}), with a keep-alive comment every {@code glora.stream-keep-alive} (15
 *       s) so proxies keep it open and closed connections are found.
 *   <li><b>No event skipped</b>: ids come from a sequence, so a transaction can commit an event
 *       after one with a larger id was sent. The ids missing below the newest one seen are asked
 *       for again on every round for two minutes; one that turns up is sent then (without an {@code
 *       id:} line, so a reconnecting client does not go back), and a missing id that never turns up
 *       was rolled back.
 * </ul>
 */
@Component
class EventBroadcaster implements SmartLifecycle, DisposableBean {

    private static final Logger LOG = Logger.getLogger(EventBroadcaster.class.getName());
    private static final long POLL_MS = 1000;

    /**
     * A client stuck in one write at least this long (and twice the keep-alive period) is dropped.
     */
    private static final long MIN_STALL_MS = 10_000;

    private static final int HISTORY_PAGE = EventSubscriber.HISTORY_PAGE;
    private static final long MISSING_FOR_NANOS = TimeUnit.MINUTES.toNanos(2);
    private static final int MAX_MISSING = 10_000;

    /** Subscribers to every job's events. */
    static final long ALL_JOBS = EventSubscriber.ALL_JOBS;

    private final JobStore jobs;
    private final DataSource database;
    private final GloraProperties properties;
    private final Map<Long, Set<EventSubscriber>> subscribers = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final ThreadPoolExecutor senders;

    /** Completes dropped emitters, each on a thread of its own (at most one per open stream). */
    private final ExecutorService closers =
            Executors.newCachedThreadPool(daemon("glora-event-close"));

    private final ScheduledExecutorService keepAlives;

    /** Ids below {@link #lastSeen} not seen yet, with when they were first missed. */
    private final TreeMap<Long, Long> missing = new TreeMap<>();

    private ScheduledFuture<?> keepAliveTask;
    private volatile boolean running;
    private volatile long lastSeen;
    private Listener listener;

    EventBroadcaster(
            JobStore jobs, DataSource database, GloraProperties properties, MeterRegistry metrics) {
        this.jobs = jobs;
        this.database = database;
        this.properties = properties;
        Gauge.builder("glora.event.streams", open, AtomicInteger::get)
                .description("event streams open")
                .register(metrics);
        this.senders =
                new ThreadPoolExecutor(
                        0,
                        2 * properties.maxStreams() + 1,
                        30,
                        TimeUnit.SECONDS,
                        new SynchronousQueue<>(),
                        daemon("glora-event-sender"));
        this.keepAlives =
                Executors.newSingleThreadScheduledExecutor(daemon("glora-event-keep-alive"));
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The service has as many open streams as it allows. */
    static final class TooManyStreams extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooManyStreams(int max) {
            super(
                    "this service serves at most "
                            + max
                            + " event streams at once (glora.max-streams); try again later");
        }
    }

    /**
     * @param jobId the job, or {@link #ALL_JOBS}
     * @param after send history after this event id (for all jobs: only live events)
     * @return an emitter that closes after {@code glora.stream-timeout}
     * @throws TooManyStreams when {@code glora.max-streams} are open
     */
    SseEmitter subscribe(long jobId, long after) {
        if (open.incrementAndGet() > properties.maxStreams()) {
            open.decrementAndGet();
            throw new TooManyStreams(properties.maxStreams());
        }
        SseEmitter emitter = new SseEmitter(properties.streamTimeout().toMillis());
        EventSubscriber subscriber =
                new EventSubscriber(
                        jobId,
                        emitter,
                        jobId == ALL_JOBS ? Math.max(after, lastSeen) : after,
                        jobs::events,
                        senders,
                        closers,
                        this::remove);
        subscribers.computeIfAbsent(jobId, id -> new CopyOnWriteArraySet<>()).add(subscriber);
        emitter.onCompletion(subscriber::drop);
        emitter.onTimeout(subscriber::drop);
        emitter.onError(e -> subscriber.drop());
        try {
            // opens the stream at once, so that a client knows it is connected before any event
            emitter.send(SseEmitter.event().comment("subscribed"));
            if (jobId != ALL_JOBS) {
                // history, page by page, on this request's thread; live events are held meanwhile
                for (long from = after; ; ) {
                    List<JobEvent> page = jobs.events(jobId, from, HISTORY_PAGE);
                    for (JobEvent event : page) {
                        subscriber.write(new EventSubscriber.Item(event, false));
                    }
                    if (page.size() < HISTORY_PAGE) {
                        break;
                    }
                    from = page.get(page.size() - 1).id();
                }
            }
        } catch (IOException | IllegalStateException e) {
            subscriber.drop();
            return emitter;
        }
        subscriber.historySent();
        return emitter;
    }

    private void remove(EventSubscriber subscriber) {
        Set<EventSubscriber> set = subscribers.get(subscriber.jobId());
        if (set != null && set.remove(subscriber)) {
            open.decrementAndGet();
        }
    }

    private void dispatch() {
        List<JobEvent> found = new ArrayList<>();
        if (!missing.isEmpty()) {
            for (JobEvent late : jobs.eventsWithIds(missing.keySet())) {
                missing.remove(late.id());
                fanOut(late, true);
            }
            long now = System.nanoTime();
            missing.values().removeIf(since -> now - since > MISSING_FOR_NANOS); // rolled back
        }
        for (List<JobEvent> page = jobs.events(null, lastSeen, HISTORY_PAGE); ; ) {
            found.addAll(page);
            if (page.size() < HISTORY_PAGE) {
                break;
            }
            page = jobs.events(null, page.get(page.size() - 1).id(), HISTORY_PAGE);
        }
        for (JobEvent event : found) {
            long now = System.nanoTime();
            for (long id = lastSeen + 1; id < event.id() && missing.size() < MAX_MISSING; id++) {
                missing.put(id, now);
            }
            lastSeen = Math.max(lastSeen, event.id());
            fanOut(event, false);
        }
    }

    private void fanOut(JobEvent event, boolean late) {
        for (EventSubscriber subscriber : subscribers.getOrDefault(event.jobId(), Set.of())) {
            subscriber.offer(event, late);
        }
        for (EventSubscriber subscriber : subscribers.getOrDefault(ALL_JOBS, Set.of())) {
            subscriber.offer(event, late);
        }
    }

    @Override
    public synchronized void start() {
        lastSeen = jobs.lastEventId();
        running = true;
        // every round reads what is new, notified or not: a missed notification costs one poll
        listener =
                new Listener(
                        database,
                        "glora_event",
                        Duration.ofMillis(POLL_MS),
                        notified -> dispatch(),
                        "glora-event-listener");
        listener.start();
        long every = properties.streamKeepAlive().toMillis();
        long stallMillis = Math.max(2 * every, MIN_STALL_MS);
        long stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMillis);
        keepAliveTask =
                keepAlives.scheduleAtFixedRate(
                        () -> keepAliveRound(stallNanos, stallMillis),
                        every,
                        every,
                        TimeUnit.MILLISECONDS);
    }

    /** One keep-alive tick: a keep-alive to every stream, or a drop where a write has stalled. */
    private void keepAliveRound(long stallNanos, long stallMillis) {
        long now = System.nanoTime();
        for (Set<EventSubscriber> set : subscribers.values()) {
            for (EventSubscriber subscriber : set) {
                if (subscriber.stalled(now, stallNanos)) {
                    LOG.info(
                            "dropping an event stream whose client took no data for "
                                    + stallMillis
                                    + " ms");
                    subscriber.drop();
                } else {
                    subscriber.keepAlive();
                }
            }
        }
    }

    /**
     * Stops listening and closes every stream; {@link #start} may follow (a context that is paused
     * and resumed, as Spring's test context cache does), so the pools stay until {@link #destroy}.
     */
    @Override
    public synchronized void stop() {
        running = false;
        if (listener != null) {
            listener.close();
            listener = null;
        }
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
            keepAliveTask = null;
        }
        List<EventSubscriber> all = new ArrayList<>();
        subscribers.values().forEach(all::addAll);
        all.forEach(EventSubscriber::drop);
    }

    /** The context is closing: the pools' threads end. */
    @Override
    public synchronized void destroy() {
        stop();
        keepAlives.shutdownNow();
        senders.shutdown();
        closers.shutdown();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
