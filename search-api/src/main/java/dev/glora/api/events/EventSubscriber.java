package dev.glora.api.events;

import dev.glora.db.DatabaseException;
import dev.glora.jobs.JobEvent;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One event stream's subscriber (for {@link EventBroadcaster}): its emitter, its bounded queue, and
 * what it was sent. The listener offers events without ever blocking on the client; a pool thread
 * writes them out. A queue that overflows is let go, and the subscriber catches up from the
 * database after the last id it sent, page by page. Every event goes out once: an id sent before is
 * skipped, and a late event (committed after a larger id was sent) goes out without an {@code id:}
 * line, so a reconnecting client does not go back.
 */
final class EventSubscriber {

    /** Subscribers to every job's events. */
    static final long ALL_JOBS = 0;

    static final int QUEUE_CAPACITY = 512;
    static final int HISTORY_PAGE = 1_000;
    private static final int RECENT_IDS = 4_096;
    private static final int MAX_LATE = 10_000;

    /** The events of one job, or of every job when {@code jobId} is null, after an id. */
    @FunctionalInterface
    interface EventPages {
        /**
         * @param jobId a job, or null for every job
         * @param afterId only events with a larger id
         * @param limit at most this many
         * @return the events in id order
         */
        List<JobEvent> after(Long jobId, long afterId, int limit);
    }

    /** One item for a subscriber: an event, or a keep-alive when {@code event} is null. */
    record Item(JobEvent event, boolean late) {}

    private final long jobId;
    private final SseEmitter emitter;
    private final EventPages pages;
    private final Executor senders;
    private final Executor closers;
    private final Consumer<EventSubscriber> onDrop;
    private final ArrayDeque<Item> queue = new ArrayDeque<>();

    /** Live events that arrived while the history was going out. */
    private final List<JobEvent> held = new ArrayList<>();

    private final Map<Long, Boolean> recent =
            new LinkedHashMap<>(64, 0.75f, false) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                    return size() > RECENT_IDS;
                }
            };

    private boolean loadingHistory = true;
    private boolean draining;
    private boolean closed;

    /**
     * The queue overflowed: live events are read back from the database after {@link #lastSent}.
     */
    private boolean behind;

    /** The largest live id offered while behind: catching up ends only past it. */
    private long offeredWhileBehind;

    /** Late events (out-of-order commits) that arrived while behind; sent after catching up. */
    private final List<JobEvent> lateWhileBehind = new ArrayList<>();

    /** When the write in progress began (System.nanoTime()), or 0 when none is. */
    private volatile long writingSince;

    private long lastSent;

    /**
     * @param jobId the job, or {@link #ALL_JOBS}
     * @param emitter the stream
     * @param after the id after which this subscriber wants events
     * @param pages where a subscriber that fell behind reads events back
     * @param senders runs the writes (one task at a time per subscriber)
     * @param closers completes a dropped emitter, off the caller's thread
     * @param onDrop told once, when the subscriber is dropped
     */
    EventSubscriber(
            long jobId,
            SseEmitter emitter,
            long after,
            EventPages pages,
            Executor senders,
            Executor closers,
            Consumer<EventSubscriber> onDrop) {
        this.jobId = jobId;
        this.emitter = emitter;
        this.lastSent = after;
        this.pages = pages;
        this.senders = senders;
        this.closers = closers;
        this.onDrop = onDrop;
    }

    long jobId() {
        return jobId;
    }

    /** Called by the listener: never blocks on the client. */
    synchronized void offer(JobEvent event, boolean late) {
        if (closed) {
            return;
        }
        if (loadingHistory) {
            held.add(event);
            return;
        }
        if (behind) {
            if (!late) {
                offeredWhileBehind = Math.max(offeredWhileBehind, event.id());
            } else if (lateWhileBehind.size() < MAX_LATE) {
                lateWhileBehind.add(event);
            }
            return;
        }
        enqueue(new Item(event, late));
    }

    /**
     * Called on every keep-alive tick: a client that has not taken one write for this long is gone.
     */
    boolean stalled(long now, long stallNanos) {
        long since = writingSince;
        return since != 0 && now - since > stallNanos;
    }

    synchronized void keepAlive() {
        if (!closed && !loadingHistory && queue.isEmpty()) {
            enqueue(new Item(null, false));
        }
    }

    private void enqueue(Item item) {
        if (queue.size() >= QUEUE_CAPACITY) {
            // let the queue go and read the events back from the database when the client is ready
            for (Item queued : queue) {
                if (queued.event() != null && queued.late()) {
                    lateWhileBehind.add(queued.event());
                } else if (queued.event() != null) {
                    offeredWhileBehind = Math.max(offeredWhileBehind, queued.event().id());
                }
            }
            queue.clear();
            behind = true;
            if (item.event() != null) {
                offer(item.event(), item.late());
            }
            return;
        }
        queue.add(item);
        if (!draining) {
            draining = true;
            try {
                senders.execute(this::drain);
            } catch (RejectedExecutionException e) {
                draining = false;
                drop();
            }
        }
    }

    /** Ends the live part of the history: events held meanwhile go out after it, each once. */
    synchronized void historySent() {
        loadingHistory = false;
        for (JobEvent event : held) {
            enqueue(new Item(event, event.id() <= lastSent));
        }
        held.clear();
    }

    /**
     * Runs on a pool thread: writes out what is queued, catches up from the database when the queue
     * overflowed, then lets the next offer start it again.
     */
    void drain() {
        try {
            while (true) {
                Item item;
                List<JobEvent> late = List.of();
                boolean catchUp = false;
                synchronized (this) {
                    item = queue.poll();
                    if (item == null && behind && !closed) {
                        catchUp = true;
                    } else if (item == null || closed) {
                        draining = false;
                        return;
                    }
                }
                if (catchUp) {
                    List<JobEvent> page =
                            pages.after(jobId == ALL_JOBS ? null : jobId, lastSent, HISTORY_PAGE);
                    for (JobEvent event : page) {
                        write(new Item(event, false));
                    }
                    synchronized (this) {
                        if (page.size() < HISTORY_PAGE && offeredWhileBehind <= lastSent) {
                            behind = false;
                            late = new ArrayList<>(lateWhileBehind);
                            lateWhileBehind.clear();
                        }
                    }
                    for (JobEvent event : late) {
                        write(new Item(event, true));
                    }
                    continue;
                }
                write(item);
            }
        } catch (IOException | IllegalStateException | DatabaseException e) {
            drop();
        }
    }

    /**
     * Sends one item, unless it was sent before. Called by the drain thread or, for history, the
     * request's.
     */
    void write(Item item) throws IOException {
        if (item.event() == null) {
            send(SseEmitter.event().comment("keep-alive"));
            return;
        }
        JobEvent event = item.event();
        synchronized (this) {
            if (recent.containsKey(event.id()) || (!item.late() && event.id() <= lastSent)) {
                return;
            }
            recent.put(event.id(), Boolean.TRUE);
            if (event.id() > lastSent) {
                lastSent = event.id();
            }
        }
        String data =
                jobId == ALL_JOBS
                        ? "{\"job\": " + event.jobId() + ", \"event\": " + event.data() + "}"
                        : event.data();
        SseEmitter.SseEventBuilder sse =
                SseEmitter.event().name(event.type()).data(data, MediaType.APPLICATION_JSON);
        send(item.late() ? sse : sse.id(Long.toString(event.id())));
    }

    private void send(SseEmitter.SseEventBuilder sse) throws IOException {
        writingSince = System.nanoTime();
        try {
            emitter.send(sse);
        } finally {
            writingSince = 0;
        }
    }

    /** Closes the stream, once; the emitter completes on a closer thread. */
    void drop() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.clear();
        }
        onDrop.accept(this);
        // completing waits for the emitter's write lock, which a write stuck on a client that reads
        // nothing holds: never on the caller's thread (the one keep-alive thread, or a sender), so
        // one stalled client cannot stop the keep-alives of every stream
        try {
            closers.execute(this::complete);
        } catch (RejectedExecutionException e) {
            complete(); // stopping: nothing else is left to hold up
        }
    }

    private void complete() {
        try {
            emitter.complete();
        } catch (RuntimeException ignored) {
            // the connection is gone already
        }
    }
}
