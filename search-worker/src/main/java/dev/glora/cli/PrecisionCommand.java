package dev.glora.cli;

import com.google.gson.GsonBuilder;
import dev.glora.search.Encoding;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code glora precision}: how far reduced-precision scoring departs from float32 on a trained
 * supernet, for choosing {@code search --precision} and its margin: random candidates scored both
 * ways, their accuracies and rankings compared, the largest logit shift, and the time of each.
 */
@Command(
        name = "precision",
        mixinStandardHelpOptions = true,
        description =
                "Score random candidates of a supernet in float32 and in a reduced format and print, as JSON,"
                        + " how the accuracies and rankings agree, the largest logit shift and the time per candidate of each.")
final class PrecisionCommand implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Option(
            names = "--supernet",
            required = true,
            paramLabel = "FILE",
            description = "supernet checkpoint")
    private Path supernet;

    @Option(
            names = "--task",
            required = true,
            paramLabel = "DIR",
            description = "VTAB-1K task folder")
    private Path task;

    @Option(
            names = "--split",
            defaultValue = "val200",
            description = "list scored on (default: ${DEFAULT-VALUE})")
    private String split;

    @Option(
            names = "--candidates",
            defaultValue = "500",
            description = "random candidates (default: ${DEFAULT-VALUE})")
    private int candidates;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "seed of the candidates (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(
            names = "--format",
            defaultValue = "fp16",
            description = "the reduced format: fp16 (default: ${DEFAULT-VALUE})")
    private SubnetScorer.Precision format;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description =
                    "candidates scored at once, each on one PyTorch thread (default: ${DEFAULT-VALUE})")
    private int threads;

    @Option(
            names = "--top",
            defaultValue = "10",
            description = "the top-k whose overlap is reported (default: ${DEFAULT-VALUE})")
    private int top;

    @Override
    public Integer call() {
        if (candidates < 2 || top < 1) {
            throw new GloraException("--candidates must be at least 2 and --top at least 1");
        }
        TorchRuntime.setThreads(1);
        Checkpoint checkpoint = Safetensors.read(supernet);
        VitArchitecture arch =
                VitArchitecture.fromMetadata(checkpoint.metadata(), supernet.toString());
        int rank = Supernet.rankOf(checkpoint, supernet.toString());
        Encoding encoding = new Encoding(Supernet.layerShapes(arch), SearchSpace.ofRanks(rank));
        ImageDataset data = TaskData.read(task, split);
        SplittableRandom random = new SplittableRandom(seed);
        double[] fp32 = new double[candidates];
        double[] reducedAccuracy = new double[candidates];
        double maxShift = 0;
        long fp32Nanos = 0;
        long reducedNanos = 0;
        int[] labels = data.labels();
        SubnetScorer.Precision reduced = format;
        if (reduced == SubnetScorer.Precision.FP32) {
            throw new GloraException("--format fp32 compares float32 with itself; give fp16");
        }
        if (threads < 1) {
            throw new GloraException("--threads must be at least 1, got " + threads);
        }
        List<SubnetConfig> configs = new ArrayList<>();
        for (int c = 0; c < candidates; c++) {
            configs.add(encoding.decode(encoding.random(random)));
        }
        double[] shift = new double[candidates];
        long[] fp32Time = new long[candidates];
        long[] reducedTime = new long[candidates];
        AtomicInteger next = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        List<RuntimeException> failures = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            Thread worker =
                    new Thread(
                            () -> {
                                TorchRuntime.prepareThread(1);
                                try (SubnetScorer scorer =
                                        new SubnetScorer(
                                                checkpoint,
                                                data,
                                                data.size(),
                                                supernet.toString(),
                                                reduced,
                                                1)) {
                                    for (int c = next.getAndIncrement();
                                            c < candidates;
                                            c = next.getAndIncrement()) {
                                        long start = System.nanoTime();
                                        float[] exact =
                                                scorer.logits(
                                                        configs.get(c),
                                                        SubnetScorer.Precision.FP32);
                                        long middle = System.nanoTime();
                                        float[] low = scorer.logits(configs.get(c), reduced);
                                        reducedTime[c] = System.nanoTime() - middle;
                                        fp32Time[c] = middle - start;
                                        fp32[c] = accuracy(exact, labels);
                                        reducedAccuracy[c] = accuracy(low, labels);
                                        for (int i = 0; i < exact.length; i++) {
                                            shift[c] =
                                                    Math.max(shift[c], Math.abs(exact[i] - low[i]));
                                        }
                                    }
                                } catch (RuntimeException e) {
                                    failures.add(e);
                                }
                            },
                            "glora-precision-" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GloraException("interrupted");
            }
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
        for (int c = 0; c < candidates; c++) {
            maxShift = Math.max(maxShift, shift[c]);
            fp32Nanos += fp32Time[c];
            reducedNanos += reducedTime[c];
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("candidates", candidates);
        out.put("images", labels.length);
        out.put("format", reduced.label());
        out.put("cpu", cpuModel());
        out.put("threads", threads);
        out.put(
                "accuracies_differing",
                IntStream.range(0, candidates).filter(c -> fp32[c] != reducedAccuracy[c]).count());
        out.put(
                "largest_accuracy_difference",
                IntStream.range(0, candidates)
                        .mapToDouble(c -> Math.abs(fp32[c] - reducedAccuracy[c]))
                        .max()
                        .orElse(0));
        out.put("discordant_pair_fraction", discordant(fp32, reducedAccuracy));
        out.put(
                "top_" + top + "_overlap",
                overlap(fp32, reducedAccuracy, Math.min(top, candidates)));
        out.put("same_best", argMax(fp32) == argMax(reducedAccuracy));
        out.put("largest_logit_shift", maxShift);
        out.put("fp32_seconds_per_candidate", fp32Nanos / 1e9 / candidates);
        out.put("reduced_seconds_per_candidate", reducedNanos / 1e9 / candidates);
        spec.commandLine()
                .getOut()
                .println(new GsonBuilder().setPrettyPrinting().create().toJson(out));
        return 0;
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException | UncheckedIOException e) {
            return System.getProperty("os.arch");
        }
    }

    private static double accuracy(float[] logits, int[] labels) {
        int classes = logits.length / labels.length;
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (logits[i * classes + c] > logits[i * classes + best]) {
                    best = c;
                }
            }
            correct += best == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }

    /**
     * Of the pairs that float32 orders strictly, the fraction the reduced format orders the other
     * way or ties.
     */
    private static double discordant(double[] exact, double[] low) {
        long strict = 0;
        long wrong = 0;
        for (int i = 0; i < exact.length; i++) {
            for (int j = i + 1; j < exact.length; j++) {
                if (exact[i] != exact[j]) {
                    strict++;
                    if (Math.signum(exact[i] - exact[j]) != Math.signum(low[i] - low[j])) {
                        wrong++;
                    }
                }
            }
        }
        return strict == 0 ? 0 : (double) wrong / strict;
    }

    /** How many of float32's top k are in bfloat16's top k (ties broken by index), divided by k. */
    private static double overlap(double[] exact, double[] low, int k) {
        List<Integer> a = topK(exact, k);
        List<Integer> b = topK(low, k);
        return a.stream().filter(b::contains).count() / (double) k;
    }

    private static List<Integer> topK(double[] values, int k) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, values.length).boxed().toList());
        order.sort(Comparator.<Integer>comparingDouble(i -> -values[i]).thenComparing(i -> i));
        return order.subList(0, k);
    }

    private static int argMax(double[] values) {
        return topK(values, 1).get(0);
    }
}
