package dev.glora.worker;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * The one polling loop of the tests: a probe read until its value passes, or a failure naming the
 * last one.
 */
public final class Await {

    private Await() {}

    /**
     * @param timeout how long to keep reading
     * @param poll the pause between reads
     * @param what what is awaited, for the failure's message
     * @param probe reads the current value
     * @param done whether a value is the one awaited
     * @return the first value {@code done} accepts
     * @throws AssertionError naming {@code what} and the last value read, once {@code timeout}
     *     passed
     */
    public static <T> T until(
            Duration timeout, Duration poll, String what, Callable<T> probe, Predicate<T> done)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = probe.call();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " not within " + timeout + "; last seen: " + last);
            }
            Thread.sleep(poll.toMillis());
            last = probe.call();
        }
        return last;
    }
}
