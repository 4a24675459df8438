package dev.glora.cli;

import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.data.Idx;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Permutation;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.train.Accuracy;
import dev.glora.supernet.train.Evaluation;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.train.Trainer;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import dev.glora.supernet.vit.VitModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code glora pretrain}: the upstream backbone of BENCHMARK.md §1. */
@Command(
        name = "pretrain",
        mixinStandardHelpOptions = true,
        description =
                "Pretrain the FMNIST-VTAB upstream ViT (28x28x1, patch 4, width 96, depth 6, 3 heads) on the"
                        + " train-split images of classes 0-4 only; report its test accuracy on those classes.")
final class PretrainCommand implements Callable<Integer> {

    /** Fashion-MNIST's pixel mean and std (on [0,1]). */
    static final float MEAN = 0.2860f;

    static final float STD = 0.3530f;

    @Spec private CommandSpec spec;

    @Option(
            names = "--idx",
            required = true,
            paramLabel = "DIR",
            description = "folder with the Fashion-MNIST IDX files")
    private Path idx;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE",
            description = "backbone checkpoint to write")
    private Path out;

    @Option(
            names = "--classes",
            defaultValue = "5",
            description = "train on classes 0 to N-1 (default: ${DEFAULT-VALUE})")
    private int classes;

    @Option(
            names = "--val",
            defaultValue = "2000",
            description = "train-split images held out for validation (default: ${DEFAULT-VALUE})")
    private int valSize;

    @Option(
            names = "--limit",
            description = "use only the first N eligible train images (quick runs)")
    private Integer limit;

    @Mixin private TrainingOptions training;

    /**
     * @return the backbone architecture of BENCHMARK.md §1 for {@code classes} classes
     */
    static VitArchitecture upstream(int classes) {
        return new VitArchitecture(
                28, 4, 1, 96, 6, 3, 4.0, classes, true, new float[] {MEAN}, new float[] {STD});
    }

    @Override
    public Integer call() {
        TrainSettings settings =
                training.settings(new TrainSettings(15, 128, 1e-3, 0.05, 2, 1e-6, 1e-5, 0.1, 0));
        TrainingRun.checkOutput(out);
        VitArchitecture arch = upstream(classes);
        ImageDataset train = Idx.readSplit(idx, "train");
        ImageDataset test = Idx.readSplit(idx, "t10k");
        int[] eligible =
                IntStream.range(0, train.size()).filter(i -> train.label(i) < classes).toArray();
        Permutation.shuffle(eligible, new SplittableRandom(settings.seed()));
        if (limit != null) {
            eligible = Arrays.copyOf(eligible, Math.min(eligible.length, limit + valSize));
        }
        ImageDataset val = train.subset(Arrays.copyOf(eligible, valSize), "held-out train images");
        ImageDataset fit =
                train.subset(
                        Arrays.copyOfRange(eligible, valSize, eligible.length),
                        "train images of classes 0-" + (classes - 1));
        ImageDataset upstreamTest =
                test.subset(
                        IntStream.range(0, test.size())
                                .filter(i -> test.label(i) < classes)
                                .toArray(),
                        "test images of classes 0-" + (classes - 1));
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("producer", "glora pretrain " + Provenance.codeVersion());
        provenance.put("train_settings", settings.fingerprint());
        provenance.put(
                "train_data",
                idx.toAbsolutePath()
                        + " classes 0-"
                        + (classes - 1)
                        + ", "
                        + fit.size()
                        + " train, "
                        + val.size()
                        + " held out");
        for (String file : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}) {
            Path path =
                    idx.resolve(file + ".gz").toFile().exists()
                            ? idx.resolve(file + ".gz")
                            : idx.resolve(file);
            provenance.put("sha256:" + path.getFileName(), Provenance.sha256(path));
        }
        String identity = "pretrain " + provenance.values();
        PrintWrapper printer = new PrintWrapper(spec);
        try (VitModel model =
                VitModel.load(VitInit.random(arch, settings.seed()), null, "initial weights")) {
            Trainer.Trainee trainee = Trainees.plain(model, name -> true);
            TrainingRun.train(
                    settings,
                    trainee,
                    fit,
                    val,
                    out,
                    identity,
                    printer.err(),
                    history -> {
                        Accuracy accuracy =
                                Evaluation.accuracy(
                                        model::logits,
                                        new Preprocess(arch),
                                        upstreamTest,
                                        classes,
                                        Trainer.EVAL_BATCH);
                        printer.out()
                                .printf(
                                        Locale.ROOT,
                                        "upstream test accuracy (classes 0-%d, %d images): %.2f%%%n",
                                        classes - 1,
                                        accuracy.n(),
                                        100 * accuracy.value());
                        Map<String, String> meta = new LinkedHashMap<>(arch.toMetadata());
                        meta.putAll(provenance);
                        meta.put("train_history", Trainer.historyJson(history));
                        meta.put(
                                "upstream_test_accuracy",
                                String.format(Locale.ROOT, "%.4f", accuracy.value()));
                        return new Checkpoint(model.tensors(), meta);
                    });
        }
        printer.out().println("wrote " + out);
        return 0;
    }
}
