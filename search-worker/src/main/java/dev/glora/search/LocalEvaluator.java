package dev.glora.search;

import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.eval.Racing;
import dev.glora.supernet.eval.SubnetScorer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Evaluates candidates on this machine: one {@link SubnetScorer} per thread, each candidate scored
 * whole by one thread with one PyTorch intra-op thread, so the number of threads changes the speed
 * and never a result.
 */
public final class LocalEvaluator implements Evaluator, AutoCloseable {

    private final ExecutorService pool;
    private final BlockingQueue<SubnetScorer> scorers;
    private final List<SubnetScorer> all = new ArrayList<>();
    private final Racing racing;

    /**
     * @param supernet the supernet checkpoint
     * @param validation the validation set
     * @param threads worker threads, at least 1
     * @param batchSize images per forward pass
     * @param source the checkpoint's file, for error messages
     * @param racing when a candidate may stop early; its stage size replaces {@code batchSize}
     */
    public LocalEvaluator(
            Checkpoint supernet,
            ImageDataset validation,
            int threads,
            int batchSize,
            String source,
            Racing racing) {
        this(
                supernet,
                validation,
                threads,
                batchSize,
                source,
                racing,
                SubnetScorer.Precision.FP32,
                0);
    }

    /**
     * @param supernet the supernet checkpoint
     * @param validation the validation set
     * @param threads worker threads, at least 1
     * @param batchSize images per forward pass
     * @param source the checkpoint's file, for error messages
     * @param racing when a candidate may stop early; its stage size replaces {@code batchSize}
     * @param precision the format candidates are screened in
     * @param margin the bfloat16 screen's logit margin ({@link SubnetScorer})
     */
    public LocalEvaluator(
            Checkpoint supernet,
            ImageDataset validation,
            int threads,
            int batchSize,
            String source,
            Racing racing,
            SubnetScorer.Precision precision,
            double margin) {
        if (threads < 1) {
            throw new SearchException("--threads must be at least 1, got " + threads);
        }
        TorchRuntime.setThreads(1);
        this.racing = racing;
        int batch = racing.bound() == Racing.Bound.OFF ? batchSize : racing.stage();
        scorers = new ArrayBlockingQueue<>(threads);
        try {
            for (int i = 0; i < threads; i++) {
                SubnetScorer scorer =
                        new SubnetScorer(supernet, validation, batch, source, precision, margin);
                all.add(scorer);
                scorers.add(scorer);
            }
        } catch (RuntimeException e) {
            all.forEach(SubnetScorer::close);
            throw e;
        }
        pool = Executors.newFixedThreadPool(threads, LocalEvaluator::evaluatorThread);
    }

    /**
     * A thread of the evaluator's pool. PyTorch keeps its intra-op thread count and its autograd
     * switch per calling thread, and a new thread starts from whatever PyTorch holds then (its
     * default, one thread per core and autograd on, or the count another thread set last): each
     * pool thread sets its count to one and turns autograd off before it scores anything ({@link
     * TorchRuntime#prepareThread}), so that no candidate's scoring depends on what ran before it
     * and none records a graph it never uses.
     *
     * @param work what the pool runs on it
     * @return the thread, a daemon, not started
     */
    static Thread evaluatorThread(Runnable work) {
        Thread thread =
                new Thread(
                        () -> {
                            TorchRuntime.prepareThread(1);
                            work.run();
                        },
                        "glora-evaluator");
        thread.setDaemon(true);
        return thread;
    }

    @Override
    public Score[] evaluate(List<SubnetConfig> configs, double mustBeat) {
        List<Future<Score>> results = new ArrayList<>();
        for (SubnetConfig config : configs) {
            results.add(
                    pool.submit(
                            () -> {
                                SubnetScorer scorer = scorers.take();
                                try {
                                    SubnetScorer.Scored scored =
                                            scorer.score(config, racing, mustBeat);
                                    return new Score(scored.accuracy().value(), scored.complete());
                                } finally {
                                    scorers.add(scorer);
                                }
                            }));
        }
        Score[] accuracy = new Score[configs.size()];
        try {
            for (int i = 0; i < accuracy.length; i++) {
                accuracy[i] = results.get(i).get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SearchException("interrupted while evaluating candidates");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new SearchException("evaluating a candidate failed: " + e.getCause());
        }
        return accuracy;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        all.forEach(SubnetScorer::close);
    }
}
