package dev.glora.supernet.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX export against DJL's forward pass: the same merged checkpoint run by ONNX Runtime (an
 * independent implementation of every operator) and by this project's ViT gives the same logits.
 */
@Timeout(120)
class OnnxExportTest {

    @TempDir Path dir;

    private static float[] onnxLogits(Path file, Tensor images) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session =
                        env.createSession(file.toString(), new OrtSession.SessionOptions());
                OnnxTensor input =
                        OnnxTensor.createTensor(
                                env, FloatBuffer.wrap(images.data()), images.shape());
                OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
            float[][] logits = (float[][]) result.get(OnnxExport.OUTPUT).orElseThrow().getValue();
            float[] flat = new float[logits.length * logits[0].length];
            for (int i = 0; i < logits.length; i++) {
                System.arraycopy(logits[i], 0, flat, i * logits[0].length, logits[0].length);
            }
            return flat;
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxDiff <= 1e-4, "max |DJL - ONNX Runtime| = " + maxDiff + " for " + what);
    }

    @Test
    void aMergedModelRunByOnnxRuntimeGivesDjlsLogitsAtAnyBatch() throws Exception {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint supernet =
                TinyModels.trainedSupernet(TinyModels.randomBackbone(arch, 41), arch, 4, 42);
        SplittableRandom random = new SplittableRandom(43);
        Map<String, LayerConfig> layers = new LinkedHashMap<>();
        Supernet.layerNames(arch)
                .forEach(name -> layers.put(name, SearchSpace.ofRanks(4, 2).sample(random)));
        Checkpoint merged =
                Reparameterizer.merge(supernet, new SubnetConfig(layers), Map.of(), "supernet");
        Path file = dir.resolve("model.onnx");
        OnnxExport.write(merged, arch, Map.of("label_names", "a,b,c"), file);
        for (int batch : new int[] {1, 5}) {
            Tensor images = TinyModels.images(arch, batch, 44 + batch);
            float[] expected;
            try (VitModel model = VitModel.load(merged, null, "merged")) {
                expected = TinyModels.logits(model, images);
            }
            assertClose(expected, onnxLogits(file, images), "batch " + batch);
        }
    }

    @Test
    void threeChannelsWithoutQkvBiasAndAnOddShapeExportToo() throws Exception {
        // RGB, no qkv bias, 3 heads of width 4, 12 px in patches of 4: every extent the graph reads
        VitArchitecture arch =
                new VitArchitecture(
                        12,
                        4,
                        3,
                        12,
                        1,
                        3,
                        3.0,
                        4,
                        false,
                        new float[] {0.5f, 0.4f, 0.3f},
                        new float[] {0.2f, 0.25f, 0.3f});
        Checkpoint plain = TinyModels.randomBackbone(arch, 51);
        Path file = dir.resolve("plain.onnx");
        OnnxExport.write(plain, arch, Map.of(), file);
        Tensor images = TinyModels.images(arch, 3, 52);
        try (VitModel model = VitModel.load(plain, null, "plain")) {
            assertClose(
                    TinyModels.logits(model, images), onnxLogits(file, images), "RGB, no qkv bias");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session =
                env.createSession(file.toString(), new OrtSession.SessionOptions())) {
            Map<String, String> props = session.getMetadata().getCustomMetadata();
            assertEquals("0.5,0.4,0.3", props.get("mean"));
            assertEquals("glora", session.getMetadata().getProducerName());
            long[] inputShape =
                    ((TensorInfo) session.getInputInfo().get(OnnxExport.INPUT).getInfo())
                            .getShape();
            assertArrayEquals(new long[] {-1, 3, 12, 12}, inputShape, "a dynamic batch");
        }
    }

    @Test
    void aSupernetIsRefusedNamingWhatItLacks() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint plain = TinyModels.randomBackbone(arch, 61);
        Map<String, Tensor> tensors = new LinkedHashMap<>(plain.tensors());
        tensors.remove("blocks.1.mlp.fc2.weight");
        CheckpointException e =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                OnnxExport.write(
                                        new Checkpoint(tensors, plain.metadata()),
                                        arch,
                                        Map.of(),
                                        dir.resolve("x.onnx")));
        assertTrue(e.getMessage().contains("blocks.1.mlp.fc2.weight"), e.getMessage());
    }
}
