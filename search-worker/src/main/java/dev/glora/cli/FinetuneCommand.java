package dev.glora.cli;

import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.train.Retraining;
import dev.glora.supernet.train.SupernetSetup;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.train.Trainer;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import dev.glora.supernet.vit.VitModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code glora finetune}: the baselines of BENCHMARK.md §1, and the retraining of a searched
 * configuration, each exported as a plain checkpoint.
 */
@Command(
        name = "finetune",
        mixinStandardHelpOptions = true,
        description =
                "Fine-tune a backbone on a VTAB-1K task and export a plain (merged) checkpoint: linear"
                        + " (head only), full, lora (rank 8 on every attn.qkv), glora-fixed (A=B=C=LoRA_8, D=E=constant"
                        + " in every layer), or glora: the modes of a --config (a search's best-config.json), from"
                        + " fresh adapters or, with --supernet, from that supernet's trained adapters and head.")
final class FinetuneCommand implements Callable<Integer> {

    /** The baselines. */
    enum Method {
        linear,
        full,
        lora,
        glora_fixed,
        glora;

        static Method parse(String name) {
            return valueOf(name.replace('-', '_'));
        }

        String label() {
            return name().replace('_', '-');
        }

        double defaultLr() {
            return this == full ? 1e-4 : 1e-3;
        }
    }

    /** Default rank of the LoRA and fixed-GLoRA baselines (BENCHMARK.md §1). */
    static final int BASELINE_RANK = 8;

    @Option(
            names = "--rank",
            defaultValue = "" + BASELINE_RANK,
            description =
                    "with --method lora or glora-fixed:"
                            + " the LoRA rank (default: ${DEFAULT-VALUE}; 4 puts LoRA on attn.qkv at about the size of a search"
                            + " under 10 k parameters)")
    private int rank;

    @Spec private CommandSpec spec;

    @Option(
            names = "--method",
            required = true,
            description = "linear, full, lora, glora-fixed or glora")
    private String method;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "with --method glora: the configuration to train (a search's best-config.json)")
    private Path config;

    @Option(
            names = "--supernet",
            paramLabel = "FILE",
            description =
                    "with --method glora: start from this trained"
                            + " supernet's adapters and head (its backbone must be --backbone) instead of fresh ones")
    private Path supernetFile;

    @Option(
            names = "--backbone",
            required = true,
            paramLabel = "FILE",
            description = "pretrained plain ViT checkpoint")
    private Path backbone;

    @Option(
            names = "--task",
            required = true,
            paramLabel = "DIR",
            description = "VTAB-1K task folder")
    private Path task;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE",
            description = "plain checkpoint to write")
    private Path out;

    @Mixin private TaskLists lists;

    @Mixin private TrainingOptions training;

    @Override
    public Integer call() {
        Method chosen;
        try {
            chosen = Method.parse(method);
        } catch (IllegalArgumentException e) {
            throw new GloraException(
                    "--method " + method + " is not one of linear, full, lora, glora-fixed, glora");
        }
        if (chosen == Method.glora && config == null) {
            throw new GloraException("--method glora needs --config: the configuration to train");
        }
        if (rank < 1 || rank > 256) {
            throw new GloraException("--rank must be in [1, 256], got " + rank);
        }
        if (chosen != Method.glora && (config != null || supernetFile != null)) {
            throw new GloraException("--config and --supernet go with --method glora only");
        }
        TrainSettings settings =
                training.settings(
                        new TrainSettings(
                                100,
                                64,
                                chosen.defaultLr(),
                                1e-4,
                                10,
                                1e-6,
                                1e-5,
                                chosen == Method.linear ? 0 : 0.1,
                                0));
        TrainingRun.checkOutput(out);
        Checkpoint plain = Safetensors.read(backbone);
        VitArchitecture arch = VitModel.architectureOf(plain, null, backbone.toString());
        int classes = Vtab1k.classCount(task);
        VitArchitecture target = arch.withNumClasses(classes);
        Checkpoint start = VitInit.withNewHead(plain, arch, classes, settings.seed());
        ImageDataset train = TaskData.read(task, lists.train);
        ImageDataset val = TaskData.read(task, lists.val);
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("producer", "glora finetune " + Provenance.codeVersion());
        provenance.put("method", chosen.label());
        provenance.put(
                "backbone", backbone.toAbsolutePath() + " sha256:" + Provenance.sha256(backbone));
        provenance.put(VitArchitecture.NAME_KEY, VitArchitecture.nameOf(plain.metadata()));
        provenance.put("train_list", TaskData.describe(task, lists.train));
        provenance.put("val_list", TaskData.describe(task, lists.val));
        provenance.put("train_settings", settings.fingerprint());
        SupernetSetup.putClassNames(provenance, task);
        String identity = "finetune " + provenance.values();
        PrintWrapper printer = new PrintWrapper(spec);
        long head = (long) classes * target.embedDim() + classes;
        long trainable;
        List<EpochResult> history;
        if (chosen == Method.linear || chosen == Method.full) {
            try (VitModel model = VitModel.load(start, null, "backbone with a new head")) {
                trainable =
                        chosen == Method.linear
                                ? head
                                : model.tensors().values().stream()
                                        .mapToLong(t -> t.data().length)
                                        .sum();
                report(printer, chosen, trainable, head);
                provenance.put("trainable_parameters", Long.toString(trainable));
                history =
                        TrainingRun.train(
                                settings,
                                Trainees.plain(
                                        model,
                                        chosen == Method.linear
                                                ? name -> name.startsWith("head.")
                                                : name -> true),
                                train,
                                val,
                                out,
                                identity,
                                printer.err(),
                                h ->
                                        withHistory(
                                                new Checkpoint(
                                                        model.tensors(), target.toMetadata()),
                                                provenance,
                                                h));
            }
        } else {
            SubnetConfig modes =
                    chosen == Method.glora ? ConfigJson.read(config) : config(chosen, target, rank);
            Checkpoint adapters =
                    chosen == Method.glora && supernetFile != null
                            ? trainedSupernet(start, target)
                            : Supernet.fresh(
                                    start,
                                    target,
                                    chosen == Method.glora ? modes.maxRank() : rank,
                                    settings.seed());
            String source = supernetFile != null ? supernetFile.toString() : "fresh adapters";
            modes.checkFits(Supernet.layerNames(target), Supernet.rankOf(adapters, source));
            trainable = Supernet.parameterCount(target, modes) + head;
            report(printer, chosen, trainable, head);
            provenance.put("trainable_parameters", Long.toString(trainable));
            provenance.put(
                    "glora_config", ConfigJson.format(modes, Map.of()).replaceAll("\\s+", ""));
            if (supernetFile != null) {
                provenance.put(
                        "supernet",
                        supernetFile.toAbsolutePath()
                                + " sha256:"
                                + Provenance.sha256(supernetFile));
            }
            // the pipeline's retraining stage, as a job's (SearchCoordination) runs it
            history =
                    TrainingRun.run(
                                    settings,
                                    out,
                                    printer.err(),
                                    bar ->
                                            Retraining.run(
                                                    adapters,
                                                    modes,
                                                    settings,
                                                    train,
                                                    val,
                                                    TrainingRun.resumeFile(out),
                                                    identity,
                                                    bar,
                                                    source,
                                                    Map.of()),
                                    retrained ->
                                            withHistory(
                                                    Reparameterizer.merge(
                                                            retrained.trained(),
                                                            modes,
                                                            Map.of(),
                                                            out.toString()),
                                                    provenance,
                                                    retrained.history()))
                            .history();
        }
        EpochResult last = history.get(history.size() - 1);
        printer.out()
                .printf(
                        Locale.ROOT,
                        "wrote %s (%s, %,d trainable parameters): final loss %.4f, validation"
                                + " accuracy %.2f%%%s%n",
                        out,
                        chosen.label(),
                        trainable,
                        last.loss(),
                        100 * last.validation().get(Trainees.FIXED),
                        TaskData.heldOutNote(task, lists.train, lists.val));
        return 0;
    }

    /**
     * @param backbone the backbone with the task's head
     * @param target the architecture with the task's classes
     * @return the supernet of {@code --supernet}, checked to be built on the same backbone for the
     *     same classes
     */
    private Checkpoint trainedSupernet(Checkpoint backbone, VitArchitecture target) {
        String source = supernetFile.toString();
        Checkpoint trained = Safetensors.read(supernetFile);
        VitArchitecture arch = VitArchitecture.fromMetadata(trained.metadata(), source);
        if (!arch.equals(target)) {
            throw new GloraException(
                    source
                            + ": the supernet's architecture "
                            + arch.toMetadata()
                            + " is not the backbone's with this task's "
                            + target.numClasses()
                            + " classes "
                            + target.toMetadata());
        }
        backbone.tensors()
                .forEach(
                        (name, tensor) -> {
                            if (Supernet.isTrainable(name)) {
                                return;
                            }
                            Tensor own = trained.tensors().get(name);
                            if (own == null || !Arrays.equals(own.data(), tensor.data())) {
                                throw new GloraException(
                                        source
                                                + ": tensor "
                                                + name
                                                + (own == null
                                                        ? " is missing"
                                                        : " differs from the backbone's")
                                                + ": the supernet was not trained on --backbone "
                                                + this.backbone);
                            }
                        });
        return trained;
    }

    private static void report(PrintWrapper printer, Method method, long trainable, long head) {
        printer.err()
                .printf(
                        "%s: %,d trainable parameters (%,d of them the head)%n",
                        method.label(), trainable, head);
    }

    private static Checkpoint withHistory(
            Checkpoint checkpoint, Map<String, String> provenance, List<EpochResult> history) {
        Map<String, String> meta = new LinkedHashMap<>(checkpoint.metadata());
        meta.putAll(provenance);
        meta.put("train_history", Trainer.historyJson(history));
        Map<String, Tensor> tensors = checkpoint.tensors();
        return new Checkpoint(tensors, meta);
    }

    /**
     * @param method lora or glora-fixed
     * @param arch the architecture
     * @param rank the LoRA rank
     * @return the fixed configuration the method trains
     */
    static SubnetConfig config(Method method, VitArchitecture arch, int rank) {
        if (method == Method.lora) {
            return SubnetConfig.lora(Supernet.layerNames(arch), rank);
        }
        Mode lora = Mode.lora(rank);
        return SubnetConfig.uniform(
                Supernet.layerNames(arch),
                new LayerConfig(lora, lora, lora, Mode.CONSTANT, Mode.CONSTANT));
    }
}
