package dev.glora.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.ParameterStore;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.ModelWeights;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    private static final VitArchitecture ARCH = TinyModels.tinyArch();
    private static final SearchSpace SPACE = SearchSpace.ofRanks(2, 1);

    @TempDir Path dir;

    /** Three classes of noisy 8x8 images: dark, grey and bright. */
    static ImageDataset task(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Image> images = new ArrayList<>();
        List<String> origins = new ArrayList<>();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 3;
            Image image = Image.blankGrey(8, 8);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    image.set(0, y, x, 20 + 80 * label + random.nextInt(60));
                }
            }
            images.add(image);
            labels[i] = label;
            origins.add("task#" + i);
        }
        return new ImageDataset("task", images, labels, origins);
    }

    private static Checkpoint supernetCheckpoint() {
        return Supernet.fresh(VitInit.random(ARCH, 3), ARCH, 2, 5);
    }

    private static TrainSettings settings(int epochs) {
        return new TrainSettings(epochs, 10, 1e-2, 1e-4, 1, 1e-3, 1e-2, 0.1, 11);
    }

    private List<EpochResult> train(
            Checkpoint checkpoint,
            int epochs,
            Path resume,
            TrainingListener listener,
            Map<String, Tensor> weightsOut) {
        try (Supernet supernet = Supernet.load(checkpoint, "tiny")) {
            List<EpochResult> history =
                    new Trainer(settings(epochs), listener)
                            .fit(
                                    Trainees.supernet(supernet, SPACE),
                                    task(60, 1),
                                    task(30, 2),
                                    resume,
                                    "tiny");
            if (weightsOut != null) {
                weightsOut.putAll(ModelWeights.snapshot(supernet.network()));
            }
            return history;
        }
    }

    /** One training step's gradient computation on a freshly loaded tiny supernet. */
    private interface Step {
        double run(
                Supernet supernet,
                ParameterStore store,
                NDManager manager,
                Preprocess preprocess,
                ImageDataset data,
                int[] indices);
    }

    /** The loss and every trainable gradient of one batch of 12, as {@code step} computes them. */
    private static Map<String, float[]> gradients(Step step, Map<String, Double> lossOut) {
        ImageDataset data = task(12, 4);
        int[] indices = {5, 0, 11, 3, 8, 1, 9, 2, 7, 4, 10, 6};
        Map<String, float[]> gradients = new LinkedHashMap<>();
        try (Supernet supernet = Supernet.load(supernetCheckpoint(), "tiny");
                NDManager manager = TorchRuntime.newManager();
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            ModelWeights.named(supernet.network())
                    .forEach((name, p) -> p.freeze(!Supernet.isTrainable(name)));
            lossOut.put(
                    "loss",
                    step.run(
                            supernet,
                            new ParameterStore(manager, false),
                            manager,
                            new Preprocess(ARCH),
                            data,
                            indices));
            ModelWeights.named(supernet.network())
                    .forEach(
                            (name, p) -> {
                                if (Supernet.isTrainable(name) && p.getArray().hasGradient()) {
                                    gradients.put(name, p.getArray().getGradient().toFloatArray());
                                }
                            });
        }
        return gradients;
    }

    /** The loss and every trainable gradient of one batch of 12, in {@code parts} micro-batches. */
    private static Map<String, float[]> gradients(int parts, Map<String, Double> lossOut) {
        return gradients(
                (supernet, store, manager, preprocess, data, indices) -> {
                    supernet.samplePaths(SPACE, new SplittableRandom(21));
                    supernet.network().setDropPath(0.3, new SplittableRandom(22));
                    return Trainer.gradients(
                            supernet.network(), store, manager, preprocess, data, indices, parts);
                },
                lossOut);
    }

    @Test
    void accumulatedMicroBatchesGiveTheWholeBatchsLossAndGradientsWithTheSamePathsAndDropPath() {
        Map<String, Double> wholeLoss = new LinkedHashMap<>();
        Map<String, float[]> whole = gradients(1, wholeLoss);
        for (int parts : new int[] {2, 3, 5}) {
            Map<String, Double> loss = new LinkedHashMap<>();
            Map<String, float[]> accumulated = gradients(parts, loss);
            assertEquals(wholeLoss.get("loss"), loss.get("loss"), 1e-6, parts + " parts");
            assertEquals(whole.keySet(), accumulated.keySet());
            whole.forEach(
                    (name, g) -> {
                        float[] a = accumulated.get(name);
                        for (int i = 0; i < g.length; i++) {
                            assertEquals(
                                    g[i],
                                    a[i],
                                    1e-5 + 1e-4 * Math.abs(g[i]),
                                    parts + " parts: " + name + "[" + i + "]");
                        }
                    });
        }
        assertThrows(IllegalArgumentException.class, () -> settings(1).withAccumulate(11));
    }

    /**
     * Issue 32: by default a step's micro-batches follow the architecture's training budget: one
     * for small models (so their results are those of whole batches, to the bit), four of 16 for
     * ViT-S/16 at 224 px and a batch of 64 (measured 1.42 times as fast as whole batches).
     */
    @Test
    void theDefaultMicroBatchesFollowTheArchitecture() {
        float[] half = {0.5f, 0.5f, 0.5f};
        VitArchitecture small =
                new VitArchitecture(224, 16, 3, 384, 12, 6, 4.0, 10, true, half, half);
        assertEquals(4, small.trainingMicroBatches(64));
        assertEquals(
                7,
                new VitArchitecture(224, 16, 3, 768, 12, 12, 4.0, 10, true, half, half)
                        .trainingMicroBatches(64));
        assertEquals(1, small.trainingMicroBatches(16), "a batch within the budget trains whole");
        assertEquals(2, small.trainingMicroBatches(22), "21 images fit: 22 take two");
        VitArchitecture benchS =
                new VitArchitecture(
                        28, 4, 1, 96, 6, 3, 4.0, 10, true, new float[] {0.5f}, new float[] {0.5f});
        assertEquals(1, benchS.trainingMicroBatches(64), "small models train whole batches");
        TrainSettings auto = new TrainSettings(1, 64, 1e-2, 1e-4, 1, 1e-3, 1e-2, 0.1, 11);
        assertEquals(TrainSettings.AUTO, auto.accumulate(), "the default");
        assertEquals(4, auto.microBatches(small));
        assertEquals(3, auto.withAccumulate(3).microBatches(small), "a count given is kept");
        assertEquals(1, auto.microBatches(benchS));
    }

    /** The loss and gradients of one batch of 12 in one step of {@code passes}, on no drop-path. */
    private static Map<String, float[]> passGradients(
            Function<Supernet, List<Trainer.Pass>> passes, Map<String, Double> lossOut) {
        return gradients(
                (supernet, store, manager, preprocess, data, indices) -> {
                    supernet.network().setDropPath(0, new SplittableRandom(22));
                    return Trainer.gradients(
                            supernet.network(),
                            store,
                            manager,
                            preprocess,
                            data,
                            indices,
                            2,
                            passes.apply(supernet),
                            new SplittableRandom(21));
                },
                lossOut);
    }

    @Test
    void aDistillingPassLearnsTheFirstPassesPredictionsSoOnTheSamePathItAddsNoGradient() {
        // on the teacher's own path, -sum(q log p) with q = p (detached) has gradient p - q = 0:
        // the step's gradient is half the labels pass's, and its loss the mean of the
        // cross-entropy and the predictions' entropy
        Function<Supernet, Consumer<RandomGenerator>> allLora =
                supernet -> random -> supernet.setConfig(Trainees.allLora(supernet, SPACE));
        Map<String, Double> labelsLoss = new LinkedHashMap<>();
        Map<String, float[]> labels =
                passGradients(n -> List.of(new Trainer.Pass(allLora.apply(n), false)), labelsLoss);
        Map<String, Double> bothLoss = new LinkedHashMap<>();
        Map<String, float[]> both =
                passGradients(
                        n ->
                                List.of(
                                        new Trainer.Pass(allLora.apply(n), false),
                                        new Trainer.Pass(allLora.apply(n), true)),
                        bothLoss);
        assertEquals(labels.keySet(), both.keySet());
        assertFalse(labels.isEmpty());
        labels.forEach(
                (name, g) -> {
                    float[] b = both.get(name);
                    for (int i = 0; i < g.length; i++) {
                        assertEquals(
                                g[i] / 2, b[i], 1e-6 + 1e-4 * Math.abs(g[i]), name + "[" + i + "]");
                    }
                });
        double entropy = 2 * bothLoss.get("loss") - labelsLoss.get("loss");
        assertTrue(
                entropy > 0 && entropy < Math.log(3) + 1e-6,
                "the predictions' entropy: " + entropy);
        // learning the labels on that second pass instead gives the labels pass's own gradient
        Map<String, float[]> twice =
                passGradients(
                        n ->
                                List.of(
                                        new Trainer.Pass(allLora.apply(n), false),
                                        new Trainer.Pass(allLora.apply(n), false)),
                        new LinkedHashMap<>());
        labels.forEach(
                (name, g) ->
                        assertEquals(g[0], twice.get(name)[0], 1e-6 + 1e-4 * Math.abs(g[0]), name));
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        new Trainer.Trainee(
                                null,
                                name -> true,
                                random -> {},
                                Map.of(),
                                List.of(new Trainer.Pass(random -> {}, true))));
    }

    @Test
    void sandwichTrainingLearnsIsReproducibleAndDiffersFromUniform() {
        Map<String, Map<String, Tensor>> weights = new LinkedHashMap<>();
        Map<String, List<EpochResult>> histories = new LinkedHashMap<>();
        for (String run : List.of("sandwich", "sandwich again", "uniform")) {
            Trainees.Sampling sampling =
                    run.startsWith("sandwich")
                            ? Trainees.Sampling.SANDWICH
                            : Trainees.Sampling.UNIFORM;
            Map<String, Tensor> out = new LinkedHashMap<>();
            try (Supernet supernet = Supernet.load(supernetCheckpoint(), "tiny")) {
                histories.put(
                        run,
                        new Trainer(settings(8), new TrainingListener() {})
                                .fit(
                                        Trainees.supernet(supernet, SPACE, sampling),
                                        task(60, 1),
                                        task(30, 2),
                                        dir.resolve(run + ".resume"),
                                        "tiny " + sampling));
                out.putAll(ModelWeights.snapshot(supernet.network()));
            }
            weights.put(run, out);
        }
        List<EpochResult> sandwich = histories.get("sandwich");
        assertTrue(sandwich.get(7).loss() < 0.8 * sandwich.get(0).loss(), sandwich.toString());
        assertTrue(
                sandwich.get(7).validation().get(Trainees.ALL_LORA) >= 0.6,
                sandwich.get(7).toString());
        weights.get("sandwich")
                .forEach(
                        (name, tensor) ->
                                assertArrayEquals(
                                        tensor.data(),
                                        weights.get("sandwich again").get(name).data(),
                                        name + ": two sandwich runs differ"));
        assertTrue(
                weights.get("sandwich").entrySet().stream()
                        .anyMatch(
                                e ->
                                        !Arrays.equals(
                                                e.getValue().data(),
                                                weights.get("uniform").get(e.getKey()).data())),
                "sandwich trained as uniform");
    }

    @Test
    void limitedTrainingDrawsAFreshPathWithinTheLimitEveryStepLearnsAndIsReproducible() {
        long limit;
        try (Supernet supernet = Supernet.load(supernetCheckpoint(), "tiny")) {
            long most = Supernet.parameterCount(ARCH, Trainees.allLora(supernet, SPACE));
            limit = most / 4;
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Trainees.supernet(supernet, SPACE, Trainees.Sampling.LIMITED, -1));
        }
        Map<String, Map<String, Tensor>> weights = new LinkedHashMap<>();
        Map<String, List<EpochResult>> histories = new LinkedHashMap<>();
        List<Long> sizes = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        for (String run : List.of("limited", "limited again")) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            try (Supernet supernet = Supernet.load(supernetCheckpoint(), "tiny")) {
                Trainer.Trainee limited =
                        Trainees.supernet(supernet, SPACE, Trainees.Sampling.LIMITED, limit);
                assertEquals(1, limited.passes().size());
                Trainer.Pass pass = limited.passes().get(0);
                Trainer.Trainee watched =
                        new Trainer.Trainee(
                                limited.network(),
                                limited.trainable(),
                                limited.trainingPaths(),
                                limited.validations(),
                                List.of(
                                        new Trainer.Pass(
                                                random -> {
                                                    pass.path().accept(random);
                                                    if (run.equals("limited")) {
                                                        sizes.add(
                                                                Supernet.parameterCount(
                                                                        ARCH, supernet.lastPath()));
                                                        paths.add(supernet.lastPath().toString());
                                                    }
                                                },
                                                false)));
                histories.put(
                        run,
                        new Trainer(settings(8), new TrainingListener() {})
                                .fit(
                                        watched,
                                        task(60, 1),
                                        task(30, 2),
                                        dir.resolve(run + ".resume"),
                                        "tiny limited"));
                out.putAll(ModelWeights.snapshot(supernet.network()));
            }
            weights.put(run, out);
        }
        assertEquals(8 * 6, sizes.size(), "one path a step");
        assertTrue(sizes.stream().allMatch(size -> size <= limit), sizes + " over " + limit);
        assertTrue(
                paths.size() > sizes.size() / 2,
                paths.size() + " distinct paths in " + sizes.size() + " steps");
        List<EpochResult> history = histories.get("limited");
        assertEquals(
                List.of(Trainees.RANDOM, Trainees.ALL_LORA, Trainees.LIMITED),
                List.copyOf(history.get(7).validation().keySet()));
        assertTrue(history.get(7).loss() < 0.8 * history.get(0).loss(), history.toString());
        weights.get("limited")
                .forEach(
                        (name, tensor) ->
                                assertArrayEquals(
                                        tensor.data(),
                                        weights.get("limited again").get(name).data(),
                                        name + ": two limited runs differ"));
    }

    @Test
    void supernetTrainingLowersTheLossAndValidatesBothWays() {
        List<EpochResult> history =
                train(
                        supernetCheckpoint(),
                        25,
                        dir.resolve("a.resume"),
                        new TrainingListener() {},
                        null);
        assertEquals(25, history.size());
        double first =
                history.subList(0, 3).stream()
                        .mapToDouble(EpochResult::loss)
                        .average()
                        .orElseThrow();
        double last =
                history.subList(22, 25).stream()
                        .mapToDouble(EpochResult::loss)
                        .average()
                        .orElseThrow();
        assertTrue(
                last < 0.85 * first,
                "mean loss of the first three epochs " + first + ", of the last three " + last);
        assertEquals(
                List.of(Trainees.RANDOM, Trainees.ALL_LORA),
                List.copyOf(history.get(24).validation().keySet()));
        assertTrue(
                history.get(24).validation().get(Trainees.ALL_LORA) >= 0.6,
                history.get(24).toString());
    }

    @Test
    void anInterruptedRunResumesFromItsLastEpochAndEndsAsTheStraightRun() {
        Map<String, Tensor> straight = new LinkedHashMap<>();
        train(
                supernetCheckpoint(),
                4,
                dir.resolve("straight.resume"),
                new TrainingListener() {},
                straight);

        Path resume = dir.resolve("interrupted.resume");
        assertThrows(
                IllegalStateException.class,
                () ->
                        train(
                                supernetCheckpoint(),
                                4,
                                resume,
                                new TrainingListener() {
                                    @Override
                                    public void onEpoch(EpochResult result) {
                                        if (result.epoch() == 2) {
                                            throw new IllegalStateException("killed");
                                        }
                                    }
                                },
                                null));
        assertTrue(Files.exists(resume));
        int[] firstEpoch = new int[1];
        Map<String, Tensor> resumed = new LinkedHashMap<>();
        List<EpochResult> history =
                train(
                        supernetCheckpoint(),
                        4,
                        resume,
                        new TrainingListener() {
                            @Override
                            public void onStart(int first, List<EpochResult> before, int steps) {
                                firstEpoch[0] = first;
                            }
                        },
                        resumed);
        assertEquals(3, firstEpoch[0]);
        assertEquals(4, history.size());
        straight.forEach(
                (name, tensor) -> assertArrayEquals(tensor.data(), resumed.get(name).data(), name));
    }

    @Test
    void aResumeFileOfAnotherRunIsRefused() {
        Path resume = dir.resolve("other.resume");
        train(supernetCheckpoint(), 1, resume, new TrainingListener() {}, null);
        TrainingException e =
                assertThrows(
                        TrainingException.class,
                        () ->
                                train(
                                        supernetCheckpoint(),
                                        2,
                                        resume,
                                        new TrainingListener() {},
                                        null));
        assertTrue(e.getMessage().contains("is the resume point of another run"), e.getMessage());
    }

    @Test
    void aNonFiniteLossStopsTheRunNamingEpochAndStep() {
        Checkpoint healthy = supernetCheckpoint();
        Map<String, Tensor> tensors = new LinkedHashMap<>(healthy.tensors());
        Tensor weight = tensors.get("blocks.1.mlp.fc2.weight");
        float[] data = weight.data().clone();
        data[3] = Float.NaN;
        tensors.put("blocks.1.mlp.fc2.weight", new Tensor(weight.shape(), data));
        TrainingException e =
                assertThrows(
                        TrainingException.class,
                        () ->
                                train(
                                        new Checkpoint(tensors, healthy.metadata()),
                                        2,
                                        dir.resolve("nan.resume"),
                                        new TrainingListener() {},
                                        null));
        assertTrue(
                e.getMessage().startsWith("the training loss is NaN at epoch 1, step 1 "),
                e.getMessage());
    }

    @Test
    void nativeArraysStayFlatOverEpochsAndNoneAreLeftInTheModel() {
        try (Supernet supernet = Supernet.load(supernetCheckpoint(), "tiny");
                NDManager probe = TorchRuntime.newManager()) {
            BaseNDManager root = (BaseNDManager) probe.getParentManager();
            BaseNDManager weights =
                    (BaseNDManager)
                            supernet.network()
                                    .getParameters()
                                    .get(0)
                                    .getValue()
                                    .getArray()
                                    .getManager();
            List<Integer> alive = new ArrayList<>();
            TrainingListener counter =
                    new TrainingListener() {
                        @Override
                        public void onEpoch(EpochResult result) {
                            alive.add(root.getManagedArrays().size());
                        }
                    };
            new Trainer(settings(1), counter)
                    .fit(
                            Trainees.supernet(supernet, SPACE),
                            task(60, 1),
                            task(30, 2),
                            dir.resolve("m1"),
                            "tiny");
            int after1 = weights.getManagedArrays().size();
            alive.clear();
            new Trainer(settings(5), counter)
                    .fit(
                            Trainees.supernet(supernet, SPACE),
                            task(60, 1),
                            task(30, 2),
                            dir.resolve("m2"),
                            "tiny");
            assertEquals(
                    after1,
                    weights.getManagedArrays().size(),
                    "arrays left in the model's manager");
            assertEquals(5, alive.size());
            assertTrue(
                    alive.stream().distinct().count() == 1,
                    "arrays alive after each epoch: " + alive);
        }
    }

    @Test
    void theScheduleWarmsUpLinearlyThenFollowsTheCosine() {
        TrainSettings s = new TrainSettings(100, 64, 1e-4, 1e-4, 10, 1e-6, 1e-5, 0.1, 0);
        assertEquals(1e-6, s.learningRate(0), 1e-12);
        assertEquals(1e-6 + (1e-4 - 1e-6) * 5 / 10, s.learningRate(5), 1e-12);
        assertEquals(
                1e-5 + 0.5 * (1e-4 - 1e-5) * (1 + Math.cos(Math.PI * 10 / 100)),
                s.learningRate(10),
                1e-12);
        assertEquals(
                1e-5 + 0.5 * (1e-4 - 1e-5) * (1 + Math.cos(Math.PI * 99 / 100)),
                s.learningRate(99),
                1e-12);
        assertFalse(s.learningRate(50) > s.learningRate(20));
    }
}
