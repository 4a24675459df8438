package dev.glora.queue;

import java.time.Duration;

/**
 * How long a claim lasts without a heartbeat, how long a failed task waits before it is tried
 * again, and how often.
 *
 * @param leaseTimeout a running task whose last heartbeat is older is requeued
 * @param backoff the wait after the first failed attempt; it doubles with every further one
 * @param maxAttempts claims before a task is dead (and its job failed)
 */
public record QueueSettings(Duration leaseTimeout, Duration backoff, int maxAttempts) {

    /** The defaults: 60 s lease, 2 s back-off, 3 attempts. */
    public static final QueueSettings DEFAULTS =
            new QueueSettings(Duration.ofSeconds(60), Duration.ofSeconds(2), 3);

    /** Checks every value. */
    public QueueSettings {
        if (leaseTimeout.isNegative()
                || leaseTimeout.isZero()
                || backoff.isNegative()
                || maxAttempts < 1) {
            throw new IllegalArgumentException(
                    "lease timeout must be positive, back-off not negative and attempts"
                            + " at least 1, got "
                            + leaseTimeout
                            + ", "
                            + backoff
                            + ", "
                            + maxAttempts);
        }
    }
}
