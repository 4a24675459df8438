package dev.glora.supernet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Permutation;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.vit.ModelWeights;
import dev.glora.supernet.vit.VisionTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * The epoch loop: seeded shuffling, a forward and backward pass and an AdamW step per batch,
 * validation after every epoch, and a resume point saved after every epoch.
 *
 * <p>Every random choice of epoch e (data order, sampled paths, drop-path decisions) comes from a
 * generator seeded by (seed, e), so a resumed run continues exactly as an uninterrupted one would.
 * The resume file holds the weights, the optimiser's moments and the history; a run that finds one
 * with the same fingerprint continues after its last epoch.
 */
public final class Trainer {

    /** Batch size of validation passes. */
    public static final int EVAL_BATCH = 256;

    private static final long VALIDATION_SALT = 0x5DEECE66DL;
    private static final Gson GSON = new Gson();

    private final TrainSettings settings;
    private final TrainingListener listener;

    /**
     * What is trained.
     *
     * @param network the network, already loaded
     * @param trainable which parameters (by timm name) the run updates; all others are frozen
     * @param trainingPaths called before each epoch with that epoch's generator, to set how the
     *     network draws its paths (a supernet samples; a plain network ignores it)
     * @param validations evaluation modes by name, each called with a fixed generator before it
     *     runs on the validation set
     * @param passes the passes of every step (empty: one pass on the path {@code trainingPaths}
     *     set, learning the labels)
     */
    public record Trainee(
            VisionTransformer network,
            Predicate<String> trainable,
            Consumer<RandomGenerator> trainingPaths,
            Map<String, Consumer<RandomGenerator>> validations,
            List<Pass> passes) {

        /** Checks that the first pass learns the labels (the others may learn its predictions). */
        public Trainee {
            passes = List.copyOf(passes);
            if (!passes.isEmpty() && passes.get(0).distils()) {
                throw new IllegalArgumentException(
                        "the first pass of a step has no predictions to distil");
            }
        }

        /** A trainee whose every step is one pass on the path {@code trainingPaths} set. */
        public Trainee(
                VisionTransformer network,
                Predicate<String> trainable,
                Consumer<RandomGenerator> trainingPaths,
                Map<String, Consumer<RandomGenerator>> validations) {
            this(network, trainable, trainingPaths, validations, List.of());
        }
    }

    /**
     * One forward and backward pass of a step that makes several (sandwich sampling): {@code path}
     * sets the network's path for it, called with the epoch's path generator; a distilling pass
     * learns the class probabilities the step's first pass predicted (in-place distillation,
     * detached) instead of the labels. The step's gradient is the mean over its passes.
     *
     * @param path sets the path
     * @param distils whether it learns the first pass's predictions
     */
    public record Pass(Consumer<RandomGenerator> path, boolean distils) {}

    /**
     * @param settings the hyper-parameters
     * @param listener receives progress
     */
    public Trainer(TrainSettings settings, TrainingListener listener) {
        this.settings = settings;
        this.listener = listener;
    }

    /**
     * Trains, resuming from {@code resumeFile} when it holds an earlier part of the same run.
     *
     * @param trainee what is trained
     * @param train the training set; labels below the network's class count
     * @param val the validation set
     * @param resumeFile where the resume point is kept (written after every epoch)
     * @param identity what else must match for a resume file to belong to this run (the inputs'
     *     checksums, the method)
     * @return every epoch's result, those before a resume included
     * @throws TrainingException on a non-finite loss, or a resume file of another run
     */
    public List<EpochResult> fit(
            Trainee trainee,
            ImageDataset train,
            ImageDataset val,
            Path resumeFile,
            String identity) {
        VisionTransformer network = trainee.network();
        int classes = network.architecture().numClasses();
        train.requireLabelsBelow(classes);
        val.requireLabelsBelow(classes);
        Map<String, Parameter> named = ModelWeights.named(network);
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        named.forEach(
                (name, parameter) -> {
                    boolean update = trainee.trainable().test(name);
                    parameter.freeze(!update);
                    if (update) {
                        trainable.put(name, parameter);
                    }
                });
        String fingerprint = settings.fingerprint() + " " + identity;
        Preprocess preprocess = new Preprocess(network.architecture());
        int batch = Math.min(settings.batchSize(), train.size());
        int steps = (train.size() + batch - 1) / batch;
        int microBatches = settings.microBatches(network.architecture());
        try (NDManager manager = TorchRuntime.newManager();
                AdamW adamw = new AdamW(manager, trainable, settings.weightDecay())) {
            List<EpochResult> history = new ArrayList<>();
            int first = resume(resumeFile, fingerprint, named, adamw, history);
            listener.onStart(first + 1, history, steps);
            ParameterStore store = new ParameterStore(manager, false);
            for (int epoch = first; epoch < settings.epochs(); epoch++) {
                SplittableRandom random =
                        new SplittableRandom(settings.seed() * 1_000_003L + epoch);
                int[] order = Permutation.of(train.size(), random.split());
                SplittableRandom paths = random.split();
                trainee.trainingPaths().accept(paths);
                network.setDropPath(settings.dropPath(), random.split());
                double lr = settings.learningRate(epoch);
                long start = System.nanoTime();
                double lossSum = 0;
                for (int step = 0; step < steps; step++) {
                    int[] indices =
                            Arrays.copyOfRange(
                                    order,
                                    step * batch,
                                    Math.min(order.length, (step + 1) * batch));
                    double loss =
                            step(
                                    network,
                                    store,
                                    manager,
                                    preprocess,
                                    train,
                                    indices,
                                    adamw,
                                    lr,
                                    microBatches,
                                    trainee.passes(),
                                    paths);
                    if (!Double.isFinite(loss)) {
                        throw new TrainingException(
                                "the training loss is "
                                        + loss
                                        + " at epoch "
                                        + (epoch + 1)
                                        + ", step "
                                        + (step + 1)
                                        + " (step "
                                        + (epoch * steps + step + 1)
                                        + " overall; lr "
                                        + lr
                                        + "): the weights or the data hold non-finite values,"
                                        + " or the learning rate is too high");
                    }
                    lossSum += loss;
                    double seconds = (System.nanoTime() - start) / 1e9;
                    listener.onStep(
                            epoch + 1,
                            step + 1,
                            steps,
                            loss,
                            (step * (double) batch + indices.length) / seconds);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                Map<String, Double> validation = new LinkedHashMap<>();
                trainee.validations()
                        .forEach(
                                (mode, prepare) -> {
                                    prepare.accept(
                                            new SplittableRandom(
                                                    settings.seed() ^ VALIDATION_SALT));
                                    validation.put(
                                            mode,
                                            Evaluation.accuracy(
                                                            images ->
                                                                    network.forward(
                                                                                    store,
                                                                                    new NDList(
                                                                                            images),
                                                                                    false)
                                                                            .singletonOrThrow(),
                                                            preprocess,
                                                            val,
                                                            classes,
                                                            EVAL_BATCH)
                                                    .value());
                                });
                EpochResult result =
                        new EpochResult(
                                epoch + 1,
                                settings.epochs(),
                                lr,
                                lossSum / steps,
                                train.size() / seconds,
                                seconds,
                                validation);
                history.add(result);
                saveResume(resumeFile, fingerprint, network, adamw, history);
                listener.onEpoch(result);
            }
            return history;
        }
    }

    /** One optimiser step on {@code indices}: the gradients of {@link #gradients}, then AdamW. */
    private static double step(
            VisionTransformer network,
            ParameterStore store,
            NDManager manager,
            Preprocess preprocess,
            ImageDataset data,
            int[] indices,
            AdamW adamw,
            double lr,
            int accumulate,
            List<Pass> passes,
            RandomGenerator paths) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double loss =
                    passes.isEmpty()
                            ? gradients(
                                    network, store, manager, preprocess, data, indices, accumulate)
                            : gradients(
                                    network,
                                    store,
                                    manager,
                                    preprocess,
                                    data,
                                    indices,
                                    accumulate,
                                    passes,
                                    paths);
            if (Double.isFinite(loss)) {
                adamw.step(lr);
            }
            return loss;
        }
    }

    /**
     * Accumulates into the trainable parameters' gradients those of the mean loss over {@code
     * indices}, in {@code accumulate} micro-batches (each loss weighted by its share); the network
     * holds its random draws over the micro-batches, so the gradients are the whole batch's up to
     * float rounding. Run it inside the step's scope.
     *
     * @return the mean loss, or the first non-finite micro-batch loss (then no gradient is
     *     complete)
     */
    static double gradients(
            VisionTransformer network,
            ParameterStore store,
            NDManager manager,
            Preprocess preprocess,
            ImageDataset data,
            int[] indices,
            int accumulate) {
        return pass(network, store, manager, preprocess, data, indices, accumulate, 1, null, null);
    }

    /**
     * As {@link #gradients(VisionTransformer, ParameterStore, NDManager, Preprocess, ImageDataset,
     * int[], int)}, for a step of several {@link Pass}es: each sets its path, then accumulates its
     * share of the gradients of the mean loss over the passes.
     *
     * @return the mean loss over the passes, or the first non-finite micro-batch loss
     */
    static double gradients(
            VisionTransformer network,
            ParameterStore store,
            NDManager manager,
            Preprocess preprocess,
            ImageDataset data,
            int[] indices,
            int accumulate,
            List<Pass> passes,
            RandomGenerator paths) {
        float[][] teacher = new float[Math.min(accumulate, indices.length)][];
        // the first pass's predictions are kept only when a later pass learns them
        boolean distilling = passes.stream().anyMatch(Pass::distils);
        double loss = 0;
        for (int p = 0; p < passes.size(); p++) {
            Pass pass = passes.get(p);
            pass.path().accept(paths);
            double passLoss =
                    pass(
                            network,
                            store,
                            manager,
                            preprocess,
                            data,
                            indices,
                            accumulate,
                            passes.size(),
                            pass.distils() ? teacher : null,
                            p == 0 && distilling ? teacher : null);
            if (!Double.isFinite(passLoss)) {
                return passLoss;
            }
            loss += passLoss;
        }
        return loss;
    }

    /**
     * One pass over a step's micro-batches on the network's current path.
     *
     * @param share the pass's share of the step: its losses are divided by it
     * @param soft per micro-batch, the class probabilities to learn instead of the labels; or null
     * @param predictions where to keep, per micro-batch, the predicted class probabilities; or null
     * @return the pass's loss, divided by {@code share}, or the first non-finite micro-batch loss
     */
    private static double pass(
            VisionTransformer network,
            ParameterStore store,
            NDManager manager,
            Preprocess preprocess,
            ImageDataset data,
            int[] indices,
            int accumulate,
            int share,
            float[][] soft,
            float[][] predictions) {
        int parts = Math.min(accumulate, indices.length);
        double loss = 0;
        if (parts > 1) {
            network.holdDraws(indices.length);
        }
        try {
            for (int part = 0; part < parts; part++) {
                int from = (int) ((long) indices.length * part / parts);
                int to = (int) ((long) indices.length * (part + 1) / parts);
                float partLoss =
                        backward(
                                network,
                                store,
                                manager,
                                preprocess,
                                data,
                                Arrays.copyOfRange(indices, from, to),
                                (double) (to - from) / indices.length / share,
                                soft == null ? null : soft[part],
                                predictions,
                                part);
                if (!Float.isFinite(partLoss)) {
                    return partLoss;
                }
                loss += partLoss;
            }
        } finally {
            if (parts > 1) {
                network.releaseDraws();
            }
        }
        return loss;
    }

    /**
     * Forward and backward on one micro-batch, its mean loss scaled by {@code weight}; returns that
     * loss. The loss is the cross-entropy with the labels, or with {@code soft} (row-major class
     * probabilities) when given; {@code predictions[part]}, when given, receives the predicted
     * probabilities.
     */
    private static float backward(
            VisionTransformer network,
            ParameterStore store,
            NDManager manager,
            Preprocess preprocess,
            ImageDataset data,
            int[] indices,
            double weight,
            float[] soft,
            float[][] predictions,
            int part) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            int[] labels = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                labels[i] = data.label(indices[i]);
            }
            NDArray images = preprocess.images(manager, data, indices);
            NDArray target = manager.create(labels, new Shape(indices.length));
            boolean wasRecording = JniUtils.isGradMode();
            JniUtils.setGradMode(true);
            try {
                NDArray logits =
                        network.forward(store, new NDList(images), true).singletonOrThrow();
                if (predictions != null) {
                    predictions[part] = logits.stopGradient().softmax(1).toFloatArray();
                }
                NDArray value =
                        soft == null
                                ? Loss.softmaxCrossEntropyLoss()
                                        .evaluate(new NDList(target), new NDList(logits))
                                : logits.logSoftmax(1)
                                        .mul(manager.create(soft, logits.getShape()))
                                        .sum(new int[] {1})
                                        .neg()
                                        .mean();
                if (weight != 1) {
                    value = value.mul(TorchRuntime.scalar(manager, (float) weight));
                }
                float loss = value.getFloat();
                if (Float.isFinite(loss)) {
                    JniUtils.backward(
                            (PtNDArray) value,
                            (PtNDArray) manager.ones(value.getShape()),
                            false,
                            false);
                }
                return loss;
            } finally {
                JniUtils.setGradMode(wasRecording);
            }
        }
    }

    private int resume(
            Path file,
            String fingerprint,
            Map<String, Parameter> named,
            AdamW adamw,
            List<EpochResult> history) {
        if (!Files.exists(file)) {
            return 0;
        }
        Checkpoint saved = Safetensors.read(file);
        Map<String, String> meta = saved.metadata();
        if (!fingerprint.equals(meta.get("resume_fingerprint"))) {
            throw new TrainingException(
                    file
                            + " is the resume point of another run ("
                            + meta.get("resume_fingerprint")
                            + "), not of this one ("
                            + fingerprint
                            + "); delete it or choose another output");
        }
        named.forEach(
                (name, parameter) -> {
                    Tensor tensor = saved.tensors().get(name);
                    if (tensor == null || tensor.data().length != parameter.getArray().size()) {
                        throw new TrainingException(
                                file + ": no tensor " + name + " of the right size");
                    }
                    parameter.getArray().set(tensor.data());
                });
        adamw.restore(saved.tensors(), Long.parseLong(meta.get("resume_steps")), file.toString());
        history.addAll(
                GSON.fromJson(
                        meta.get("train_history"),
                        new TypeToken<List<EpochResult>>() {}.getType()));
        return Integer.parseInt(meta.get("resume_epochs_done"));
    }

    private static void saveResume(
            Path file,
            String fingerprint,
            VisionTransformer network,
            AdamW adamw,
            List<EpochResult> history) {
        Map<String, Tensor> tensors = new LinkedHashMap<>(ModelWeights.snapshot(network));
        tensors.putAll(adamw.state());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("resume_fingerprint", fingerprint);
        meta.put("resume_epochs_done", Integer.toString(history.size()));
        meta.put("resume_steps", Long.toString(adamw.steps()));
        meta.put("train_history", GSON.toJson(history));
        Safetensors.write(new Checkpoint(tensors, meta), file);
    }

    /**
     * @param history epochs
     * @return them as one JSON array, for a checkpoint's metadata
     */
    public static String historyJson(List<EpochResult> history) {
        return GSON.toJson(history);
    }
}
