package dev.glora.api.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.jobs.JobEvent;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** {@link EventSubscriber} alone: no database, no HTTP, the pool threads run by hand. */
@Timeout(30)
class EventSubscriberTest {

    /** The stream as the client would read it, one line per event or comment. */
    private static class RecordingEmitter extends SseEmitter {
        final List<String> sent = new ArrayList<>();
        int completed;

        @Override
        public synchronized void send(SseEventBuilder builder) throws IOException {
            sent.add(
                    builder.build().stream()
                            .map(part -> part.getData().toString())
                            .collect(Collectors.joining())
                            .trim()
                            .replace('\n', '|'));
        }

        @Override
        public synchronized void complete() {
            completed++;
        }

        /** The ids sent, in order; a late event (no id line) as -its id. */
        List<Long> ids() {
            List<Long> ids = new ArrayList<>();
            for (String event : sent) {
                if (!event.contains("event:")) {
                    continue; // a comment
                }
                long id = 0;
                long data = 0;
                for (String line : event.split("\\|")) {
                    if (line.startsWith("id:")) {
                        id = Long.parseLong(line.substring(3));
                    } else if (line.startsWith("data:")) {
                        data = Long.parseLong(line.replaceAll("\\D", ""));
                    }
                }
                ids.add(id != 0 ? id : -data);
            }
            return ids;
        }
    }

    /** Runs what is handed to it only when told to, like a pool that has not got to it yet. */
    private static final class Manual implements Executor {
        final ArrayDeque<Runnable> waiting = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            waiting.add(task);
        }

        void runAll() {
            for (Runnable task; (task = waiting.poll()) != null; ) {
                task.run();
            }
        }
    }

    private static JobEvent event(long id) {
        return new JobEvent(id, 7, "generation", "{\"n\": " + id + "}");
    }

    /** The database's events 1..n of job 7. */
    private static EventSubscriber.EventPages database(long n) {
        return (job, after, limit) ->
                LongStream.rangeClosed(after + 1, n)
                        .limit(limit)
                        .mapToObj(EventSubscriberTest::event)
                        .toList();
    }

    @Test
    void liveEventsThatArriveDuringTheHistoryGoOutAfterItOnce() throws IOException {
        RecordingEmitter emitter = new RecordingEmitter();
        Manual senders = new Manual();
        EventSubscriber subscriber =
                new EventSubscriber(7, emitter, 0, database(3), senders, Runnable::run, s -> {});
        subscriber.write(new EventSubscriber.Item(event(1), false));
        subscriber.offer(event(2), false); // held: the history is still going out
        subscriber.write(new EventSubscriber.Item(event(2), false));
        subscriber.offer(event(3), false);
        subscriber.historySent();
        senders.runAll();
        assertEquals(List.of(1L, 2L, 3L), emitter.ids());
        assertTrue(emitter.sent.get(0).contains("event:generation|data:{\"n\": 1}"));
    }

    @Test
    void anOverflowingQueueCatchesUpFromTheDatabaseInOrderWithNothingLostOrRepeated() {
        int total = EventSubscriber.QUEUE_CAPACITY * 2 + EventSubscriber.HISTORY_PAGE + 5;
        RecordingEmitter emitter = new RecordingEmitter();
        Manual senders = new Manual();
        EventSubscriber subscriber =
                new EventSubscriber(
                        7, emitter, 0, database(total), senders, Runnable::run, s -> {});
        subscriber.historySent();
        for (long id = 1; id <= total; id++) {
            subscriber.offer(event(id), false); // the client reads nothing meanwhile
        }
        senders.runAll();
        List<Long> ids = emitter.ids();
        List<Long> expected = LongStream.rangeClosed(1, total).boxed().toList();
        assertTrue(
                ids.equals(expected),
                () ->
                        ids.size()
                                + " sent, expected "
                                + total
                                + "; first difference at "
                                + IntStream.range(0, Math.min(ids.size(), total))
                                        .filter(i -> !ids.get(i).equals(expected.get(i)))
                                        .findFirst()
                                        .orElse(Math.min(ids.size(), total)));
    }

    @Test
    void aLateEventGoesOutWithoutAnIdSoAReconnectingClientDoesNotGoBack() {
        RecordingEmitter emitter = new RecordingEmitter();
        Manual senders = new Manual();
        EventSubscriber subscriber =
                new EventSubscriber(7, emitter, 0, database(0), senders, Runnable::run, s -> {});
        subscriber.historySent();
        subscriber.offer(event(5), false);
        subscriber.offer(event(4), true); // committed after 5 was sent
        subscriber.offer(event(5), false); // seen again: not repeated
        senders.runAll();
        assertEquals(List.of(5L, -4L), emitter.ids());
    }

    @Test
    void aDroppedSubscriberIsToldOnceCompletesAndTakesNothingMore() {
        RecordingEmitter emitter = new RecordingEmitter();
        Manual senders = new Manual();
        AtomicInteger dropped = new AtomicInteger();
        EventSubscriber subscriber =
                new EventSubscriber(
                        7,
                        emitter,
                        0,
                        database(0),
                        senders,
                        Runnable::run,
                        s -> dropped.incrementAndGet());
        subscriber.historySent();
        subscriber.drop();
        subscriber.drop();
        subscriber.offer(event(1), false);
        subscriber.keepAlive();
        senders.runAll();
        assertEquals(1, dropped.get());
        assertEquals(1, emitter.completed);
        assertEquals(List.of(), emitter.sent);
    }

    @Test
    void keepAlivesGoOutOnlyWhenNothingIsQueued() {
        RecordingEmitter emitter = new RecordingEmitter();
        Manual senders = new Manual();
        EventSubscriber subscriber =
                new EventSubscriber(7, emitter, 0, database(0), senders, Runnable::run, s -> {});
        subscriber.keepAlive(); // the history has not gone out yet
        subscriber.historySent();
        subscriber.offer(event(1), false);
        subscriber.keepAlive(); // an event is queued: no keep-alive beside it
        senders.runAll();
        subscriber.keepAlive();
        senders.runAll();
        assertEquals(2, emitter.sent.size());
        assertTrue(emitter.sent.get(1).startsWith(":keep-alive"), emitter.sent.get(1));
    }

    @Test
    void aWriteStuckOnTheClientIsSeenAsStalledAndOnlyWhileItLasts() throws InterruptedException {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingEmitter emitter =
                new RecordingEmitter() {
                    @Override
                    public void send(SseEventBuilder builder) throws IOException {
                        writing.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        super.send(builder);
                    }
                };
        List<Thread> pool = new ArrayList<>();
        Executor senders =
                task -> {
                    Thread thread = new Thread(task, "sender");
                    pool.add(thread);
                    thread.start();
                };
        EventSubscriber subscriber =
                new EventSubscriber(7, emitter, 0, database(0), senders, Runnable::run, s -> {});
        assertFalse(subscriber.stalled(System.nanoTime(), 0), "no write in progress");
        subscriber.historySent();
        subscriber.offer(event(1), false); // returns at once: the write is the sender's
        assertTrue(writing.await(10, TimeUnit.SECONDS));
        long later = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        assertTrue(subscriber.stalled(later, TimeUnit.SECONDS.toNanos(30)));
        assertFalse(subscriber.stalled(System.nanoTime(), TimeUnit.SECONDS.toNanos(30)));
        release.countDown();
        pool.get(0).join(10_000);
        assertFalse(subscriber.stalled(later, TimeUnit.SECONDS.toNanos(30)));
        assertEquals(List.of(1L), emitter.ids());
    }
}
