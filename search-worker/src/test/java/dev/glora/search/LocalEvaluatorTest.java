package dev.glora.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        AtomicInteger seen = new AtomicInteger(-1);
        Thread thread = LocalEvaluator.evaluatorThread(() -> seen.set(TorchRuntime.threads()));
        assertTrue(thread.isDaemon());
        thread.start();
        thread.join();
        assertEquals(1, seen.get());
    }
}
