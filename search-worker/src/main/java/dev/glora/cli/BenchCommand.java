package dev.glora.cli;

import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.GsonBuilder;
import dev.glora.search.Encoding;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.TorchNatives;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.train.Trainer;
import dev.glora.supernet.train.TrainingListener;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import java.io.IOException;
import java.io.PrintWriter;
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
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code glora bench}: the throughput figures of BENCHMARK.md §2 on the {@code bench-s} shape (or a
 * real ViT's), each the median of several runs after a warm-up run.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measure throughput: medians of several runs after a warm-up run. Shapes: bench-s (28x28x1,"
                    + " patch 4, width 96, depth 6, 3 heads), vit-s16-224 (ViT-S/16: 224x224x3, width 384, depth 12,"
                    + " 6 heads), vit-b16-224 (ViT-B/16: width 768, depth 12, 12 heads); all with 10 classes, supernet"
                    + " rank 4, training batch 64, 200 images per candidate.",
            "Also reports the process's peak resident memory (VmHWM)."
        })
final class BenchCommand implements Callable<Integer> {

    /** The model shapes measured. */
    enum BenchShape {
        BENCH_S("bench-s"),
        VIT_S16_224("vit-s16-224"),
        VIT_B16_224("vit-b16-224");

        final String label;

        BenchShape(String label) {
            this.label = label;
        }

        VitArchitecture architecture() {
            float[] half = {0.5f, 0.5f, 0.5f};
            return switch (this) {
                case BENCH_S -> PretrainCommand.upstream(10);
                case VIT_S16_224 ->
                        new VitArchitecture(224, 16, 3, 384, 12, 6, 4.0, 10, true, half, half);
                case VIT_B16_224 ->
                        new VitArchitecture(224, 16, 3, 768, 12, 12, 4.0, 10, true, half, half);
            };
        }

        static BenchShape of(String label) {
            for (BenchShape shape : values()) {
                if (shape.label.equals(label)) {
                    return shape;
                }
            }
            throw new GloraException(
                    "--shape " + label + " is not one of bench-s, vit-s16-224," + " vit-b16-224");
        }
    }

    @Option(
            names = "--shape",
            defaultValue = "bench-s",
            description = "bench-s, vit-s16-224 or vit-b16-224 (default: ${DEFAULT-VALUE})")
    private String shapeName;

    @Option(
            names = "--skip-eval",
            description = "measure supernet training (and its peak memory) only")
    private boolean skipEval;

    @Option(
            names = "--skip-latency",
            description = "leave out the merged/unmerged latency ratios (slow on 224 px)")
    private boolean skipLatency;

    @Option(
            names = "--accumulate",
            defaultValue = "0",
            description =
                    "split each training batch of 64 into this many micro-batches (gradient accumulation;"
                            + " default 0: as training chooses them for the shape, VitArchitecture.trainingMicroBatches)")
    private int accumulate;

    @Option(
            names = "--images-per-pass",
            defaultValue = "0",
            paramLabel = "N",
            description =
                    "images per inference pass when scoring candidates (default 0: as the search scores them,"
                            + " all 200 within the shape's memory budget, VitArchitecture.imagesPerPass)")
    private int imagesPerPass;

    @Spec private CommandSpec spec;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE})")
    private int threads;

    @Option(
            names = "--runs",
            defaultValue = "5",
            description = "measured runs per figure (default: ${DEFAULT-VALUE})")
    private int runs;

    @Option(
            names = "--steps",
            defaultValue = "30",
            description = "training steps per run (default: ${DEFAULT-VALUE})")
    private int steps;

    @Option(names = "--json", description = "print the figures as one JSON object")
    private boolean json;

    @Option(
            names = "--candidates",
            defaultValue = "20",
            description = "candidates per evaluation run (default: ${DEFAULT-VALUE})")
    private int candidates;

    @Option(names = "--skip-training", description = "measure evaluation and latency only")
    private boolean skipTraining;

    @Option(
            names = "--profile",
            paramLabel = "DIR",
            description =
                    "also record libtorch's profiler over one more training run and over --candidates candidate"
                            + " scorings, as Chrome traces DIR/training-trace.json and DIR/scoring-trace.json"
                            + " (bin/profile-summary turns them into per-operation tables)")
    private Path profile;

    @Override
    public Integer call() throws IOException {
        TorchRuntime.setThreads(threads);
        BenchShape shape = BenchShape.of(shapeName);
        VitArchitecture arch = shape.architecture();
        Checkpoint backbone = VitInit.random(arch, 0);
        Checkpoint supernet = Supernet.fresh(backbone, arch, 4, 0);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("shape", shape.label);
        figures.put("threads", threads);
        figures.put("natives", TorchNatives.choose());
        figures.put("runs", runs);
        if (!skipTraining) {
            double[] rates = training(supernet, arch);
            figures.put("supernet_training_images_per_s", median(rates));
            figures.put("supernet_training_images_per_s_runs", rates);
            figures.put("accumulate", accumulate == 0 ? arch.trainingMicroBatches(64) : accumulate);
            figures.put("peak_rss_mib_after_training", peakRssMib());
        }
        if (profile != null) {
            profileRuns(supernet, arch);
            figures.put("profiles", profile.toString());
        }
        if (skipEval) {
            figures.put("peak_rss_mib", peakRssMib());
            print(figures, null, shape);
            return 0;
        }
        if (imagesPerPass < 0) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--images-per-pass must be 0 or more, got " + imagesPerPass);
        }
        ImageDataset validation = randomImages(arch, 200, 10, 3);
        int requested = imagesPerPass == 0 ? validation.size() : imagesPerPass;
        figures.put("images_per_pass", arch.imagesPerPass(requested));
        EvaluationBench.Figures eval =
                EvaluationBench.measure(
                        supernet,
                        backbone,
                        arch,
                        validation,
                        requested,
                        runs,
                        candidates,
                        threads,
                        !skipLatency);
        figures.put("candidates_per_s", eval.candidatesPerSecond());
        figures.put("search_candidates_per_s", eval.searchCandidatesPerSecond());
        figures.put("minor_faults_per_candidate", eval.minorFaultsPerCandidate());
        figures.put("search_minor_faults_per_candidate", eval.searchMinorFaultsPerCandidate());
        figures.put("plain_forward_passes_per_s", eval.plainPassesPerSecond());
        figures.put("eval_overhead", eval.overhead());
        if (!skipLatency) {
            figures.put("merged_latency_ratio_batch1", eval.mergedRatio1());
            figures.put("merged_latency_ratio_batch64", eval.mergedRatio64());
            figures.put("unmerged_latency_ratio_batch1", eval.unmergedRatio1());
            figures.put("unmerged_latency_ratio_batch64", eval.unmergedRatio64());
        }
        figures.put("peak_rss_mib", peakRssMib());
        print(figures, eval, shape);
        return 0;
    }

    private void print(
            Map<String, Object> figures, EvaluationBench.Figures eval, BenchShape shape) {
        if (json) {
            spec.commandLine().getOut().println(new GsonBuilder().create().toJson(figures));
        } else {
            PrintWriter out = spec.commandLine().getOut();
            out.printf(
                    Locale.ROOT,
                    "%s, %d thread(s), medians of %d runs%n",
                    shape.label,
                    threads,
                    runs);
            if (!skipTraining) {
                out.printf(
                        Locale.ROOT,
                        "  supernet training       %8.1f images/s (batch 64 in %d micro-batch(es));"
                                + " peak RSS %d MiB%n",
                        ((Number) figures.get("supernet_training_images_per_s")).doubleValue(),
                        ((Number) figures.get("accumulate")).intValue(),
                        ((Number) figures.get("peak_rss_mib_after_training")).longValue());
            }
            if (eval == null) {
                out.printf(
                        Locale.ROOT,
                        "  peak resident memory    %8d MiB%n",
                        ((Number) figures.get("peak_rss_mib")).longValue());
                return;
            }
            out.printf(
                    Locale.ROOT,
                    "  candidates              %8.2f /s (200 validation images each)%n",
                    eval.candidatesPerSecond());
            out.printf(
                    Locale.ROOT,
                    "  candidates (search)     %8.2f /s (%d evaluator thread(s), one intra-op thread each)%n",
                    eval.searchCandidatesPerSecond(),
                    threads);
            out.printf(
                    Locale.ROOT,
                    "  plain forward passes    %8.2f /s (the same 200 images)%n",
                    eval.plainPassesPerSecond());
            out.printf(
                    Locale.ROOT,
                    "  eval overhead           %8.3f (candidate time / plain pass time)%n",
                    eval.overhead());
            if (!skipLatency) {
                out.printf(
                        Locale.ROOT,
                        "  merged latency ratio    %8.3f (batch 1)  %.3f (batch 64)%n",
                        eval.mergedRatio1(),
                        eval.mergedRatio64());
                out.printf(
                        Locale.ROOT,
                        "  unmerged latency ratio  %8.3f (batch 1)  %.3f (batch 64)%n",
                        eval.unmergedRatio1(),
                        eval.unmergedRatio64());
            }
            out.printf(
                    Locale.ROOT,
                    "  peak resident memory    %8d MiB%n",
                    ((Number) figures.get("peak_rss_mib")).longValue());
        }
    }

    /**
     * @return this process's peak resident set size in MiB (Linux VmHWM), or -1 where unknown
     */
    static long peakRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * The process's minor page faults so far (field 10 of {@code /proc/self/stat}): each is a page
     * the kernel mapped in, zero-filled, on first touch. A count, so it does not depend on what
     * else the machine runs, unlike a time.
     *
     * @return the count, or -1 where {@code /proc} cannot be read
     */
    static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // the command name (field 2) may hold blanks: count from the parenthesis that closes it
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[7]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private double[] training(Checkpoint supernet, VitArchitecture arch) throws IOException {
        ImageDataset batches = randomImages(arch, 64 * steps, 10, 1);
        ImageDataset val = randomImages(arch, 1, 10, 2);
        double[] rates = new double[runs];
        Path dir = Files.createTempDirectory("glora-bench");
        try (Supernet net = Supernet.load(supernet, "bench-s")) {
            for (int run = -1; run < runs; run++) {
                TrainSettings settings =
                        new TrainSettings(
                                1, 64, 1e-4, 1e-4, 0, 1e-6, 1e-5, 0.1, run + 1, accumulate);
                List<EpochResult> history =
                        new Trainer(settings, new TrainingListener() {})
                                .fit(
                                        Trainees.supernet(net, SearchSpace.ofRanks(4)),
                                        batches,
                                        val,
                                        dir.resolve("r" + run),
                                        "bench");
                if (run >= 0) {
                    rates[run] = history.get(0).imagesPerSecond();
                }
            }
        } finally {
            deleteFlat(dir);
        }
        return rates;
    }

    /**
     * One training run of {@code --steps} steps and {@code --candidates} candidate scorings, each
     * under libtorch's autograd profiler (the one {@code torch.autograd.profiler} drives), after a
     * warm-up of each outside it.
     */
    private void profileRuns(Checkpoint supernet, VitArchitecture arch) throws IOException {
        Files.createDirectories(profile);
        ImageDataset batches = randomImages(arch, 64 * steps, 10, 1);
        ImageDataset val = randomImages(arch, 1, 10, 2);
        Path dir = Files.createTempDirectory("glora-profile");
        try (Supernet net = Supernet.load(supernet, "bench-s")) {
            for (int run = 0; run < 2; run++) {
                TrainSettings settings =
                        new TrainSettings(
                                1, 64, 1e-4, 1e-4, 0, 1e-6, 1e-5, 0.1, run + 1, accumulate);
                if (run == 1) {
                    JniUtils.startProfile(false, true, false);
                }
                try {
                    new Trainer(settings, new TrainingListener() {})
                            .fit(
                                    Trainees.supernet(net, SearchSpace.ofRanks(4)),
                                    batches,
                                    val,
                                    dir.resolve("p" + run),
                                    "bench");
                } finally {
                    if (run == 1) {
                        JniUtils.stopProfile(profile.resolve("training-trace.json").toString());
                    }
                }
            }
        } finally {
            deleteFlat(dir);
        }
        Encoding encoding = new Encoding(Supernet.layerShapes(arch), SearchSpace.ofRanks(4));
        SplittableRandom random = new SplittableRandom(11);
        ImageDataset images = randomImages(arch, 200, 10, 3);
        TorchRuntime.setThreads(threads);
        try (SubnetScorer scorer = new SubnetScorer(supernet, images, images.size(), "bench")) {
            for (int c = 0; c < candidates; c++) {
                scorer.score(encoding.decode(encoding.random(random)));
            }
            JniUtils.startProfile(false, true, false);
            try {
                for (int c = 0; c < candidates; c++) {
                    scorer.score(encoding.decode(encoding.random(random)));
                }
            } finally {
                JniUtils.stopProfile(profile.resolve("scoring-trace.json").toString());
            }
        }
    }

    /** Deletes a folder of plain files (a training run's resume points). */
    private static void deleteFlat(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }

    static ImageDataset randomImages(VitArchitecture arch, int n, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int c = arch.inChans();
        int size = arch.imgSize();
        List<Image> images = new ArrayList<>();
        List<String> origins = new ArrayList<>();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            byte[] pixels = new byte[c * size * size];
            random.nextBytes(pixels);
            images.add(new Image(c, size, size, pixels));
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
