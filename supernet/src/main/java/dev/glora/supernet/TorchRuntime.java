package dev.glora.supernet;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Loads DJL's PyTorch engine from the natives on the class path, never from the network; which
 * libtorch build it loads is {@link TorchNatives}'s choice.
 *
 * <p>DJL downloads a missing native library by default; a server that silently downloads half a
 * gigabyte (or hangs behind a firewall) is worse than one that fails at once, so offline mode is
 * forced before the engine is first touched.
 */
public final class TorchRuntime {

    /** The engine name DJL registers for PyTorch. */
    public static final String ENGINE = "PyTorch";

    private TorchRuntime() {}

    /**
     * Returns the PyTorch engine, loading it on first use.
     *
     * @return the engine
     * @throws GloraException if the natives are not on the class path
     */
    public static synchronized Engine engine() {
        System.setProperty("ai.djl.offline", "true");
        TorchNatives.choose();
        try {
            return Engine.getEngine(ENGINE);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new GloraException(
                    "the PyTorch engine could not be loaded offline; the class path must hold"
                            + " ai.djl.pytorch:pytorch-jni and"
                            + " ai.djl.pytorch:pytorch-native-cpu (classifier linux-x86_64): "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Sets how many threads PyTorch uses inside one operation (intra-op parallelism).
     *
     * @param threads at least 1
     */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) {
            throw new GloraException("--threads must be at least 1, got " + threads);
        }
        engine();
        JniUtils.setNumThreads(threads);
        TorchNatives.setBlasThreads(threads);
        THREADS.set(threads);
    }

    /**
     * Readies the calling thread for PyTorch work: its intra-op thread count ({@link #setThreads})
     * and autograd off. libtorch keeps both per thread, and DJL turns autograd off only on the
     * thread that loads the engine; on any other thread (the search's evaluator, a worker's slots)
     * every forward pass through the supernet's parameters, which require gradients, recorded its
     * graph and kept its activations until the result was dropped (issue 32: at ViT-S/16 224 px the
     * search's evaluator peaked at 5.3 GiB against 3.2 GiB without). Training turns autograd on for
     * its own steps and back ({@code Trainer}).
     *
     * @param threads the thread's intra-op threads, at least 1
     */
    public static void prepareThread(int threads) {
        setThreads(threads);
        JniUtils.setGradMode(false);
    }

    /**
     * The count {@link #setThreads} last set on each calling thread (PyTorch keeps it per thread).
     */
    private static final ThreadLocal<Integer> THREADS = new ThreadLocal<>();

    /**
     * @return the PyTorch threads {@link #setThreads} last set on the calling thread, or 0 if it
     *     never did (PyTorch's own default then)
     */
    public static int threads() {
        Integer threads = THREADS.get();
        return threads != null ? threads : 0;
    }

    /**
     * A scalar array for a differentiable product, in PyTorch's own memory. Never multiply by a
     * {@code Number} on a path gradients flow through: DJL wraps the number in an array over a Java
     * direct buffer and closes that array as soon as the product is made, while autograd keeps the
     * tensor to compute the backward pass; the buffer is then freed by the next garbage collection,
     * and the backward pass reads freed memory (gradients that differ from run to run).
     *
     * @param manager the manager that will own the array
     * @param value the scalar, kept in its Java type ({@code double} gives a float64 array, which
     *     PyTorch applies to a float32 tensor in float32, as it applied the number)
     * @return a 0-dimensional array that owns its memory
     */
    public static NDArray scalar(NDManager manager, Number value) {
        try (NDArray wrapped = manager.create(value)) {
            return wrapped.duplicate();
        }
    }

    /**
     * Opens a new root manager on the PyTorch engine's CPU device. The caller closes it.
     *
     * @return a new manager
     */
    public static NDManager newManager() {
        return engine().newBaseManager();
    }
}
