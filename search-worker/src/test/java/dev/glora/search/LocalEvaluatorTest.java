package dev.glora.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import dev.glora.supernet.TorchRuntime;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The evaluator's pool threads score with one PyTorch intra-op thread each and autograd off, as the
 * class promises, not PyTorch's defaults for a new thread (one thread per core, autograd on).
 */
class LocalEvaluatorTest {

    @Test
    void eachPoolThreadSetsOnePyTorchThreadBeforeItRunsAnything() throws InterruptedException {
        // loaded here, as in the search: DJL prepares only the thread that loads the engine
        TorchRuntime.engine();
        AtomicInteger set = new AtomicInteger(-1);
        AtomicInteger pytorch = new AtomicInteger(-1);
        AtomicBoolean recording = new AtomicBoolean(true);
        Thread thread =
                LocalEvaluator.evaluatorThread(
                        () -> {
                            set.set(TorchRuntime.threads());
                            pytorch.set(JniUtils.getNumThreads());
                            recording.set(JniUtils.isGradMode());
                        });
        assertTrue(thread.isDaemon());
        thread.start();
        thread.join();
        assertEquals(1, set.get(), "set on the pool thread itself");
        assertEquals(1, pytorch.get(), "PyTorch's own count on that thread");
        assertFalse(
                recording.get(), "autograd is off on the pool thread: scoring records no graph");
    }

    /** Issue 32: a new thread starts with autograd on; the pool's threads must not keep it. */
    @Test
    void aNewThreadStartsWithAutogradOnSoThePoolMustTurnItOff() throws InterruptedException {
        TorchRuntime.engine();
        AtomicBoolean recording = new AtomicBoolean(false);
        Thread plain = new Thread(() -> recording.set(JniUtils.isGradMode()));
        plain.start();
        plain.join();
        assertTrue(recording.get(), "libtorch's default on a thread DJL did not prepare");
    }
}
