package dev.glora.supernet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * AdamW's state survives a save and restore exactly, including which parameters hold a gradient.
 */
class AdamWTest {

    private static Map<String, Parameter> parameters(NDManager manager) {
        Map<String, Parameter> parameters = new LinkedHashMap<>();
        for (String name : new String[] {"used", "idle"}) {
            Parameter parameter =
                    Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
            parameter.setArray(manager.create(new float[] {0.5f, -1f, 2f}));
            parameter.getArray().setRequiresGradient(true);
            parameters.put(name, parameter);
        }
        return parameters;
    }

    /**
     * Backward of sum(p * p) for the given parameters only: the others get no gradient this step.
     */
    private static void backward(NDManager manager, Parameter... used) {
        JniUtils.setGradMode(true);
        try {
            NDArray loss = manager.zeros(new Shape());
            for (Parameter p : used) {
                loss = loss.add(p.getArray().mul(p.getArray()).sum());
            }
            JniUtils.backward(
                    (PtNDArray) loss, (PtNDArray) manager.ones(loss.getShape()), false, false);
        } finally {
            JniUtils.setGradMode(false);
        }
    }

    @Test
    void aRestoredOptimiserKeepsUpdatingAParameterThatHadAGradientAsTheOriginalDoes() {
        try (NDManager manager = TorchRuntime.newManager()) {
            Map<String, Parameter> original = parameters(manager);
            Map<String, Tensor> state;
            float[] expected;
            try (AdamW adamw = new AdamW(manager, original, 0.05)) {
                backward(manager, original.get("used"), original.get("idle"));
                adamw.step(0.1);
                state = adamw.state();
                Map<String, Parameter> restored = parameters(manager);
                restored.forEach(
                        (name, p) ->
                                p.getArray().set(original.get(name).getArray().toFloatArray()));
                try (AdamW resumed = new AdamW(manager, restored, 0.05)) {
                    resumed.restore(state, adamw.steps(), "test");
                    // the next step uses only "used": "idle" still moves by its momentum and decay
                    backward(manager, original.get("used"));
                    adamw.step(0.1);
                    backward(manager, restored.get("used"));
                    resumed.step(0.1);
                    expected = original.get("idle").getArray().toFloatArray();
                    assertFalse(Arrays.equals(new float[] {0.5f, -1f, 2f}, expected));
                    assertArrayEquals(expected, restored.get("idle").getArray().toFloatArray());
                    assertArrayEquals(
                            original.get("used").getArray().toFloatArray(),
                            restored.get("used").getArray().toFloatArray());
                }
            }
        }
    }
}
