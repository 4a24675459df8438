package dev.glora.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.glora.search.Encoding;
import dev.glora.search.LocalEvaluator;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.eval.Racing;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/** The evaluation and latency figures of BENCHMARK.md §2, each a median of several runs. */
final class EvaluationBench {

    private static final int LATENCY_REPS = 60;

    private EvaluationBench() {}

    /**
     * @param candidatesPerSecond full evaluations of random candidates per second
     * @param plainPassesPerSecond plain forward passes over the same images per second, in the
     *     passes glora evaluate makes (as many images each as a candidate's)
     * @param overhead time per candidate / time per plain pass
     * @param mergedRatio1 merged latency / backbone latency, batch 1
     * @param mergedRatio64 the same, batch 64
     * @param unmergedRatio1 supernet-with-fixed-config latency / backbone latency, batch 1
     * @param unmergedRatio64 the same, batch 64
     * @param searchCandidatesPerSecond candidates per second through the search's evaluator, one
     *     worker thread per requested thread, each with one intra-op thread
     * @param minorFaultsPerCandidate the process's minor page faults per candidate while the scorer
     *     ran the measured runs ({@link BenchCommand#minorFaults}; -1 without {@code /proc})
     * @param searchMinorFaultsPerCandidate the same while the search's evaluator ran them
     */
    record Figures(
            double candidatesPerSecond,
            double plainPassesPerSecond,
            double overhead,
            double mergedRatio1,
            double mergedRatio64,
            double unmergedRatio1,
            double unmergedRatio64,
            double searchCandidatesPerSecond,
            double minorFaultsPerCandidate,
            double searchMinorFaultsPerCandidate) {}

    static Figures measure(
            Checkpoint supernetCheckpoint,
            Checkpoint backbone,
            VitArchitecture arch,
            ImageDataset validation,
            int imagesPerPass,
            int runs,
            int candidates,
            int threads,
            boolean latency) {
        Encoding encoding = new Encoding(Supernet.layerShapes(arch), SearchSpace.ofRanks(4));
        SplittableRandom random = new SplittableRandom(11);
        List<SubnetConfig> configs = new ArrayList<>();
        for (int i = 0; i < candidates * (runs + 1); i++) {
            configs.add(encoding.decode(encoding.random(random)));
        }
        Preprocess preprocess = new Preprocess(arch);
        double[] candidateSeconds = new double[runs];
        double[] plainSeconds = new double[runs];
        long scorerFaults = 0;
        try (SubnetScorer scorer =
                        new SubnetScorer(supernetCheckpoint, validation, imagesPerPass, "bench-s");
                NDManager manager = TorchRuntime.newManager()) {
            // the plain pass goes in the passes glora evaluate makes (Evaluation), as candidates do
            int imagesEach = arch.imagesPerPass(imagesPerPass);
            List<NDArray> passes = new ArrayList<>();
            for (int from = 0; from < validation.size(); from += imagesEach) {
                passes.add(
                        preprocess.images(
                                manager,
                                validation,
                                IntStream.range(
                                                from,
                                                Math.min(validation.size(), from + imagesEach))
                                        .toArray()));
            }
            for (int run = -1; run < runs; run++) {
                long faults = BenchCommand.minorFaults();
                long start = System.nanoTime();
                for (int c = 0; c < candidates; c++) {
                    scorer.score(configs.get((run + 1) * candidates + c));
                }
                double perCandidate = (System.nanoTime() - start) / 1e9 / candidates;
                if (run >= 0) {
                    scorerFaults += BenchCommand.minorFaults() - faults;
                }
                start = System.nanoTime();
                for (int c = 0; c < candidates; c++) {
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        for (NDArray images : passes) {
                            scorer.plainLogits(images).toFloatArray();
                        }
                    }
                }
                double perPass = (System.nanoTime() - start) / 1e9 / candidates;
                if (run >= 0) {
                    candidateSeconds[run] = perCandidate;
                    plainSeconds[run] = perPass;
                }
            }
        }
        SubnetConfig chosen = configs.get(0);
        Checkpoint merged = Reparameterizer.merge(supernetCheckpoint, chosen, Map.of(), "bench-s");
        double[][] ratios = new double[4][runs];
        for (double[] row : ratios) {
            Arrays.fill(row, Double.NaN);
        }
        if (latency) {
            try (VitModel base = VitModel.load(backbone, null, "backbone");
                    VitModel mergedModel = VitModel.load(merged, null, "merged");
                    Supernet unmerged = Supernet.load(supernetCheckpoint, "bench-s");
                    NDManager manager = TorchRuntime.newManager()) {
                unmerged.setConfig(chosen);
                for (int b = 0; b < 2; b++) {
                    int batch = b == 0 ? 1 : 64;
                    NDArray images = manager.randomNormal(base.network().inputShape(batch));
                    for (int run = -1; run < runs; run++) {
                        // interleaved, in rotating order, so drift and cache effects on a shared
                        // machine hit all three alike
                        double[][] times = new double[3][LATENCY_REPS];
                        List<UnaryOperator<NDArray>> models =
                                List.of(
                                        base::logits,
                                        mergedModel::logits,
                                        x -> unmerged.logits(x, false));
                        for (int rep = 0; rep < LATENCY_REPS; rep++) {
                            for (int k = 0; k < 3; k++) {
                                int model = (rep + k) % 3;
                                times[model][rep] = latency(models.get(model), images);
                            }
                        }
                        if (run >= 0) {
                            double baseTime = BenchCommand.median(times[0]);
                            ratios[b][run] = BenchCommand.median(times[1]) / baseTime;
                            ratios[2 + b][run] = BenchCommand.median(times[2]) / baseTime;
                        }
                    }
                }
            }
        }
        double[] searchRates = new double[runs];
        long searchFaults = 0;
        try (LocalEvaluator evaluator =
                new LocalEvaluator(
                        supernetCheckpoint,
                        validation,
                        threads,
                        imagesPerPass,
                        "bench-s",
                        Racing.OFF)) {
            for (int run = -1; run < runs; run++) {
                List<SubnetConfig> batch =
                        configs.subList((run + 1) * candidates, (run + 2) * candidates);
                long faults = BenchCommand.minorFaults();
                long start = System.nanoTime();
                evaluator.evaluate(batch, Double.NEGATIVE_INFINITY);
                if (run >= 0) {
                    searchRates[run] = candidates / ((System.nanoTime() - start) / 1e9);
                    searchFaults += BenchCommand.minorFaults() - faults;
                }
            }
        }
        TorchRuntime.setThreads(threads);
        double candidate = BenchCommand.median(candidateSeconds);
        double plain = BenchCommand.median(plainSeconds);
        return new Figures(
                1 / candidate,
                1 / plain,
                candidate / plain,
                BenchCommand.median(ratios[0]),
                BenchCommand.median(ratios[1]),
                BenchCommand.median(ratios[2]),
                BenchCommand.median(ratios[3]),
                BenchCommand.median(searchRates),
                faultsPerCandidate(scorerFaults, runs * candidates),
                faultsPerCandidate(searchFaults, runs * candidates));
    }

    private static double faultsPerCandidate(long faults, int candidates) {
        return BenchCommand.minorFaults() < 0 ? -1 : (double) faults / candidates;
    }

    private static double latency(UnaryOperator<NDArray> forward, NDArray images) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            long start = System.nanoTime();
            forward.apply(images).toFloatArray();
            return (System.nanoTime() - start) / 1e9;
        }
    }
}
