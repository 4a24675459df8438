package dev.glora.supernet.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Activation;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Tensor;
import java.util.LinkedHashMap;
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
            assertEquals(0.8413447460685429, y[0], 1e-6, "exact GELU(1); the tanh form gives 0.841192");
            assertEquals(-0.15426876936299344, y[1], 1e-6);
        }
    }

    @Test
    void plainTimmCheckpointLoadsWhenTheCallerSuppliesTheArchitecture() {
        VitArchitecture arch = TinyModels.tinyArch();
        Checkpoint withMeta = TinyModels.randomBackbone(arch, 3);
        Checkpoint timm = new Checkpoint(withMeta.tensors(), Map.of());
        CheckpointException missing = assertThrows(CheckpointException.class, () -> VitModel.load(timm, null, "timm.safetensors"));
        assertTrue(missing.getMessage().contains("timm.safetensors: no architecture"), missing.getMessage());
        Tensor images = TinyModels.images(arch, 1, 4);
        try (VitModel a = VitModel.load(timm, arch, "timm"); VitModel b = VitModel.load(withMeta, null, "meta")) {
            assertArrayEquals(TinyModels.logits(b, images), TinyModels.logits(a, images));
        }
    }

    @Test
    void mismatchedTensorsAreNamedWithBothShapes() {
        VitArchitecture arch = TinyModels.tinyArch();
        Map<String, Tensor> tensors = new LinkedHashMap<>(TinyModels.randomBackbone(arch, 5).tensors());
        tensors.remove("blocks.1.mlp.fc2.bias");
        tensors.put("blocks.0.attn.qkv.weight", Tensor.zeros(24, 7));
        tensors.put("fc_norm.weight", Tensor.zeros(8));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> VitModel.load(new Checkpoint(tensors, arch.toMetadata()), null, "bad.safetensors"));
        String message = e.getMessage();
        assertTrue(message.startsWith("bad.safetensors: "), message);
        assertTrue(message.contains("missing tensor blocks.1.mlp.fc2.bias (expected shape [8])"), message);
        assertTrue(message.contains("tensor blocks.0.attn.qkv.weight: expected shape [24, 8], found [24, 7]"), message);
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

    /** Every array alive under the engine's root manager, the model's weights included. */
    private static int countArrays(NDManager any) {
        return ((BaseNDManager) any.getParentManager()).getManagedArrays().size();
    }
}
