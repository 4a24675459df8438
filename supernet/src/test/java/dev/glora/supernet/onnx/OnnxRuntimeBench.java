package dev.glora.supernet.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 32's ONNX Runtime lever, measured, not tested: a plain ViT-S/16 (224 px) forward pass over
 * 200 images in passes of 31 (what a candidate's scoring and {@code glora evaluate} do at this
 * shape), by ONNX Runtime on this project's ONNX export and by DJL, one thread each, in interleaved
 * rounds. Not part of the suite (its name does not end in Test): {@code bin/bench-onnx} runs it and
 * prints one JSON line.
 */
class OnnxRuntimeBench {

    private static final int IMAGES = 200;
    private static final int PER_PASS = 31;
    private static final int ROUNDS = 3;

    @Test
    void plainPassesPerSecond() throws Exception {
        TorchRuntime.setThreads(1);
        float[] half = {0.5f, 0.5f, 0.5f};
        VitArchitecture arch =
                new VitArchitecture(224, 16, 3, 384, 12, 6, 4.0, 10, true, half, half);
        Checkpoint backbone = TinyModels.randomBackbone(arch, 1);
        Path file = Files.createTempFile("vit-s16-224", ".onnx");
        OnnxExport.write(backbone, arch, Map.of(), file);
        float[] images = new float[PER_PASS * 3 * 224 * 224];
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int passes = (IMAGES + PER_PASS - 1) / PER_PASS;
        double[] ort = new double[ROUNDS];
        double[] djl = new double[ROUNDS];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try (OrtSession session = env.createSession(file.toString(), options);
                OnnxTensor input =
                        OnnxTensor.createTensor(
                                env, FloatBuffer.wrap(images), new long[] {PER_PASS, 3, 224, 224});
                VitModel model = VitModel.load(backbone, null, "vit-s16-224");
                NDManager manager = TorchRuntime.newManager()) {
            NDArray x = manager.create(images, new Shape(PER_PASS, 3, 224, 224));
            for (int round = -1; round < ROUNDS; round++) { // round -1 warms both up
                long start = System.nanoTime();
                for (int p = 0; p < passes; p++) {
                    try (OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
                        result.get(0).getValue();
                    }
                }
                double ortSeconds = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                for (int p = 0; p < passes; p++) {
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        model.logits(x).toFloatArray();
                    }
                }
                double djlSeconds = (System.nanoTime() - start) / 1e9;
                if (round >= 0) {
                    ort[round] = 1 / ortSeconds;
                    djl[round] = 1 / djlSeconds;
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        Arrays.sort(ort);
        Arrays.sort(djl);
        System.out.printf(
                Locale.ROOT,
                "BENCH {\"shape\":\"vit-s16-224\",\"threads\":1,\"images\":%d,\"images_per_pass\":%d,"
                        + "\"rounds\":%d,\"onnxruntime_plain_passes_per_s\":%.5f,"
                        + "\"djl_plain_passes_per_s\":%.5f,\"onnxruntime_runs\":%s,\"djl_runs\":%s}%n",
                passes * PER_PASS,
                PER_PASS,
                ROUNDS,
                ort[ROUNDS / 2],
                djl[ROUNDS / 2],
                Arrays.toString(ort),
                Arrays.toString(djl));
    }
}
