package dev.glora.cli;

import com.google.gson.GsonBuilder;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainer;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.train.TrainingListener;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code glora bench}: the throughput figures of BENCHMARK.md §2 on the {@code bench-s} shape, each
 * the median of several runs after a warm-up run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure throughput on the bench-s shape (28x28x1, patch 4, width 96, depth 6, 3 heads,"
                + " 10 classes, supernet rank 4, batch 64): medians of several runs.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--threads", defaultValue = "1", description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE})")
    private int threads;

    @Option(names = "--runs", defaultValue = "5", description = "measured runs per figure (default: ${DEFAULT-VALUE})")
    private int runs;

    @Option(names = "--steps", defaultValue = "30", description = "training steps per run (default: ${DEFAULT-VALUE})")
    private int steps;

    @Option(names = "--json", description = "print the figures as one JSON object")
    private boolean json;

    @Option(names = "--candidates", defaultValue = "20", description = "candidates per evaluation run (default: ${DEFAULT-VALUE})")
    private int candidates;

    @Option(names = "--skip-training", description = "measure evaluation and latency only")
    private boolean skipTraining;

    @Override
    public Integer call() throws IOException {
        TorchRuntime.setThreads(threads);
        VitArchitecture arch = PretrainCommand.upstream(10);
        Checkpoint backbone = VitInit.random(arch, 0);
        Checkpoint supernet = Supernet.fresh(backbone, arch, 4, 0);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("shape", "bench-s");
        figures.put("threads", threads);
        figures.put("runs", runs);
        if (!skipTraining) {
            double[] rates = training(supernet);
            figures.put("supernet_training_images_per_s", median(rates));
            figures.put("supernet_training_images_per_s_runs", rates);
        }
        EvaluationBench.Figures eval = EvaluationBench.measure(supernet, backbone, arch, randomImages(200, 10, 3), runs,
                candidates, threads);
        figures.put("candidates_per_s", eval.candidatesPerSecond());
        figures.put("search_candidates_per_s", eval.searchCandidatesPerSecond());
        figures.put("plain_forward_passes_per_s", eval.plainPassesPerSecond());
        figures.put("eval_overhead", eval.overhead());
        figures.put("merged_latency_ratio_batch1", eval.mergedRatio1());
        figures.put("merged_latency_ratio_batch64", eval.mergedRatio64());
        figures.put("unmerged_latency_ratio_batch1", eval.unmergedRatio1());
        figures.put("unmerged_latency_ratio_batch64", eval.unmergedRatio64());
        if (json) {
            spec.commandLine().getOut().println(new GsonBuilder().create().toJson(figures));
        } else {
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "bench-s, %d thread(s), medians of %d runs%n", threads, runs);
            if (!skipTraining) {
                out.printf(Locale.ROOT, "  supernet training       %8.0f images/s%n", figures.get("supernet_training_images_per_s"));
            }
            out.printf(Locale.ROOT, "  candidates              %8.2f /s (200 validation images each)%n", eval.candidatesPerSecond());
            out.printf(Locale.ROOT, "  candidates (search)     %8.2f /s (%d evaluator thread(s), one intra-op thread each)%n",
                    eval.searchCandidatesPerSecond(), threads);
            out.printf(Locale.ROOT, "  plain forward passes    %8.2f /s (the same 200 images)%n", eval.plainPassesPerSecond());
            out.printf(Locale.ROOT, "  eval overhead           %8.3f (candidate time / plain pass time)%n", eval.overhead());
            out.printf(Locale.ROOT, "  merged latency ratio    %8.3f (batch 1)  %.3f (batch 64)%n", eval.mergedRatio1(),
                    eval.mergedRatio64());
            out.printf(Locale.ROOT, "  unmerged latency ratio  %8.3f (batch 1)  %.3f (batch 64)%n", eval.unmergedRatio1(),
                    eval.unmergedRatio64());
        }
        return 0;
    }

    private double[] training(Checkpoint supernet) throws IOException {
        ImageDataset batches = randomImages(64 * steps, 10, 1);
        ImageDataset val = randomImages(1, 10, 2);
        double[] rates = new double[runs];
        Path dir = Files.createTempDirectory("glora-bench");
        try (Supernet net = Supernet.load(supernet, "bench-s")) {
            for (int run = -1; run < runs; run++) {
                TrainSettings settings = new TrainSettings(1, 64, 1e-4, 1e-4, 0, 1e-6, 1e-5, 0.1, run + 1);
                List<EpochResult> history = new Trainer(settings, new TrainingListener() {})
                        .fit(Trainees.supernet(net, SearchSpace.ofRanks(4)), batches, val, dir.resolve("r" + run), "bench");
                if (run >= 0) {
                    rates[run] = history.get(0).imagesPerSecond();
                }
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
        return rates;
    }

    static ImageDataset randomImages(int n, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Image> images = new ArrayList<>();
        List<String> origins = new ArrayList<>();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            byte[] pixels = new byte[28 * 28];
            random.nextBytes(pixels);
            images.add(new Image(1, 28, 28, pixels));
            labels[i] = random.nextInt(classes);
            origins.add("random#" + i);
        }
        return new ImageDataset("random images", images, labels, origins);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

}
