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

    @Override
    public Integer call() throws IOException {
        TorchRuntime.setThreads(threads);
        VitArchitecture arch = PretrainCommand.upstream(10);
        Checkpoint supernet = Supernet.fresh(VitInit.random(arch, 0), arch, 4, 0);
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
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("shape", "bench-s");
        figures.put("threads", threads);
        figures.put("runs", runs);
        figures.put("supernet_training_images_per_s", median(rates));
        figures.put("supernet_training_images_per_s_runs", rates);
        if (json) {
            spec.commandLine().getOut().println(new GsonBuilder().create().toJson(figures));
        } else {
            spec.commandLine().getOut().printf(Locale.ROOT,
                    "bench-s, %d thread(s), median of %d runs%n  supernet training: %.0f images/s  (runs: %s)%n",
                    threads, runs, median(rates), format(rates));
        }
        return 0;
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

    private static String format(double[] values) {
        StringBuilder text = new StringBuilder();
        for (double v : values) {
            text.append(text.length() == 0 ? "" : ", ").append(Math.round(v));
        }
        return text.toString();
    }
}
