package dev.glora.supernet.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Tensor;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VitTest {

    @Test
    void forwardMatchesTimmArithmeticComputedByHand() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint backbone = TinyModels.randomBackbone(arch, 1);
        Tensor images = TinyModels.images(arch, 2, 2);
        try (VitModel model = VitModel.load(backbone, null, "tiny")) {
            double[] expected = new ReferenceVit(arch, backbone.tensors()).logits(images);
            float[] actual = TinyModels.logits(model, images);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4, "logit " + i);
            }
        }
    }

    @Test
    void geluIsTheExactErfForm() {
        try (NDManager manager = TorchRuntime.newManager()) {
            float[] y = Activation.gelu(manager.create(new float[] {1f, -0.5f})).toFloatArray();
            assertEquals(
                    0.8413447460685429, y[0], 1e-6, "exact GELU(1); the tanh form gives 0.841192");
            assertEquals(-0.15426876936299344, y[1], 1e-6);
        }
    }

    @Test
    void plainTimmCheckpointLoadsWhenTheCallerSuppliesTheArchitecture() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint withMeta = TinyModels.randomBackbone(arch, 3);
        Checkpoint timm = new Checkpoint(withMeta.tensors(), Map.of());
        CheckpointException missing =
                assertThrows(
                        CheckpointException.class,
                        () -> VitModel.load(timm, null, "timm.safetensors"));
        assertTrue(
                missing.getMessage().contains("timm.safetensors: no architecture"),
                missing.getMessage());
        Tensor images = TinyModels.images(arch, 1, 4);
        try (VitModel a = VitModel.load(timm, arch, "timm");
                VitModel b = VitModel.load(withMeta, null, "meta")) {
            assertArrayEquals(TinyModels.logits(b, images), TinyModels.logits(a, images));
        }
    }

    @Test
    void mismatchedTensorsAreNamedWithBothShapes() {
        VitArchitecture arch = TinyModels.tinyArch();
        Map<String, Tensor> tensors =
                new LinkedHashMap<>(TinyModels.randomBackbone(arch, 5).tensors());
        tensors.remove("blocks.1.mlp.fc2.bias");
        tensors.put("blocks.0.attn.qkv.weight", Tensor.zeros(24, 7));
        tensors.put("fc_norm.weight", Tensor.zeros(8));
        CheckpointException e =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                VitModel.load(
                                        new Checkpoint(tensors, arch.toMetadata()),
                                        null,
                                        "bad.safetensors"));
        String message = e.getMessage();
        assertTrue(message.startsWith("bad.safetensors: "), message);
        assertTrue(
                message.contains("missing tensor blocks.1.mlp.fc2.bias (expected shape [8])"),
                message);
        assertTrue(
                message.contains(
                        "tensor blocks.0.attn.qkv.weight: expected shape [24, 8], found [24, 7]"),
                message);
        assertTrue(message.contains("unexpected tensor fc_norm.weight [8]"), message);
    }

    @Test
    void evaluationsInAScopeLeaveNoArraysBehind() {
        VitArchitecture arch = TinyModels.tinyArch();
        Tensor images = TinyModels.images(arch, 4, 6);
        try (VitModel model = VitModel.load(TinyModels.randomBackbone(arch, 7), null, "tiny");
                NDManager inputs = TorchRuntime.newManager()) {
            TinyModels.logits(model, images);
            int before = countArrays(inputs);
            for (int i = 0; i < 50; i++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray out = model.logits(images.toNDArray(inputs));
                    out.toFloatArray();
                }
            }
            assertEquals(before, countArrays(inputs), "arrays alive after 50 scoped evaluations");
        }
    }

    @Test
    void gradientsStayTheSameWhenFreedMemoryIsReusedBetweenForwardAndBackward() {
        // DJL's mul(Number) frees the number's buffer at the next collection while autograd still
        // holds it; a backward pass after that read junk (TorchRuntime.scalar)
        VitArchitecture arch = TinyModels.tinyArch();
        Tensor images = TinyModels.images(arch, 3, 5);
        Map<String, float[]> straight = gradients(arch, images, false);
        for (int attempt = 0; attempt < 3; attempt++) {
            Map<String, float[]> disturbed = gradients(arch, images, true);
            assertEquals(straight.keySet(), disturbed.keySet());
            straight.forEach((name, g) -> assertArrayEquals(g, disturbed.get(name), name));
        }
    }

    /**
     * Full fine-tuning gradients of a fixed loss; {@code disturb}: collect and reuse memory before
     * the backward pass.
     */
    private static Map<String, float[]> gradients(
            VitArchitecture arch, Tensor images, boolean disturb) {
        Map<String, float[]> gradients = new LinkedHashMap<>();
        List<ByteBuffer> junk = new ArrayList<>();
        try (VitModel model = VitModel.load(TinyModels.randomBackbone(arch, 4), null, "tiny");
                NDManager manager = TorchRuntime.newManager();
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Map<String, Parameter> named = ModelWeights.named(model.network());
            named.values().forEach(p -> p.freeze(false));
            boolean was = JniUtils.isGradMode();
            JniUtils.setGradMode(true);
            try {
                NDArray logits =
                        model.network()
                                .forward(
                                        new ParameterStore(manager, false),
                                        new NDList(images.toNDArray(manager)),
                                        true)
                                .singletonOrThrow();
                NDArray loss =
                        logits.mul(
                                        manager.arange(1f, 1f + logits.size())
                                                .reshape(logits.getShape()))
                                .sum();
                if (disturb) {
                    for (int round = 0; round < 5; round++) {
                        System.gc();
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        for (int i = 0; i < 2000; i++) {
                            junk.add(ByteBuffer.allocateDirect(8 << (i % 4)).putDouble(0, 1e6));
                        }
                    }
                }
                JniUtils.backward(
                        (PtNDArray) loss, (PtNDArray) manager.ones(loss.getShape()), false, false);
                // the junk holds the freed memory until the backward pass has read it
                Reference.reachabilityFence(junk);
            } finally {
                JniUtils.setGradMode(was);
            }
            named.forEach(
                    (name, p) -> gradients.put(name, p.getArray().getGradient().toFloatArray()));
        }
        return gradients;
    }

    /** Every array alive under the engine's root manager, the model's weights included. */
    private static int countArrays(NDManager any) {
        return ((BaseNDManager) any.getParentManager()).getManagedArrays().size();
    }
}
