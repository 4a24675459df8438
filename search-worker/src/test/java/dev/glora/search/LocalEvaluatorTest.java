package dev.glora.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import dev.glora.supernet.TorchRuntime;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The evaluator's pool threads score with one PyTorch intra-op thread each, as the class promises,
 * not PyTorch's default for a new thread.
 */
class LocalEvaluatorTest {

    @Test
    void eachPoolThreadSetsOnePyTorchThreadBeforeItRunsAnything() throws InterruptedException {
        AtomicInteger set = new AtomicInteger(-1);
        AtomicInteger pytorch = new AtomicInteger(-1);
        Thread thread =
                LocalEvaluator.evaluatorThread(
                        () -> {
                            set.set(TorchRuntime.threads());
                            pytorch.set(JniUtils.getNumThreads());
                        });
        assertTrue(thread.isDaemon());
        thread.start();
        thread.join();
        assertEquals(1, set.get(), "set on the pool thread itself");
        assertEquals(1, pytorch.get(), "PyTorch's own count on that thread");
    }
}
