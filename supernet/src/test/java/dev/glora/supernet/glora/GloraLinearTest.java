package dev.glora.supernet.glora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.ConfigException;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.vit.LinearLayer;
import dev.glora.supernet.vit.ModelWeights;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GloraLinearTest {

    private static final int IN = 5;
    private static final int OUT = 3;
    private static final int RANK = 4;
    private static final int BATCH = 2;

    private static NDManager manager;

    @BeforeAll
    static void openManager() {
        manager = TorchRuntime.newManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }

    /** The tensors of one layer on the heap, named as in a checkpoint. */
    private static Map<String, Tensor> randomLayer(long seed, boolean bias) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("weight", TinyModels.random(random, OUT, IN));
        if (bias) {
            t.put("bias", TinyModels.random(random, OUT));
        }
        t.put("Ad", TinyModels.random(random, OUT, RANK));
        t.put("Au", TinyModels.random(random, RANK, IN));
        t.put("Bd", TinyModels.random(random, OUT, RANK));
        t.put("Bu", TinyModels.random(random, RANK, IN));
        t.put("Cd", TinyModels.random(random, IN, RANK));
        t.put("Cu", TinyModels.random(random, RANK, 1));
        t.put("D", TinyModels.random(random, OUT));
        t.put("E", TinyModels.random(random, OUT));
        return t;
    }

    private static GloraLinear block(Map<String, Tensor> tensors) {
        GloraLinear layer = new GloraLinear(IN, OUT, tensors.containsKey("bias"), RANK);
        ModelWeights.load(
                layer, new Shape(BATCH, IN), new Checkpoint(tensors, Map.of()), manager, "test");
        return layer;
    }

    private static float[] run(Block block, Tensor x) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = x.toNDArray(manager);
            return block.forward(new ParameterStore(manager, false), new NDList(input), false)
                    .singletonOrThrow()
                    .toFloatArray();
        }
    }

    /** Element of a row-major matrix. */
    private static double at(Tensor t, int row, int col) {
        return t.data()[row * (int) t.shape()[1] + col];
    }

    /** The value of term A or B at (i, j), straight from docs/GLORA.md §1. */
    private static double matrixTerm(Map<String, Tensor> t, String x, Mode mode, int i, int j) {
        Tensor down = t.get(x + "d");
        Tensor up = t.get(x + "u");
        return switch (mode.kind()) {
            case NONE -> 0;
            case CONSTANT -> at(down, 0, 0);
            case VECTOR -> at(down, i, 0);
            case LORA -> {
                double sum = 0;
                for (int k = 0; k < mode.rank(); k++) {
                    sum += at(down, i, k) * at(up, k, j);
                }
                yield sum;
            }
        };
    }

    private static double vectorTerm(Tensor v, Mode mode, int i) {
        return switch (mode.kind()) {
            case NONE -> 0;
            case CONSTANT -> v.data()[0];
            case VECTOR -> v.data()[i];
            case LORA -> throw new AssertionError();
        };
    }

    /** y = x W^T + b with W = W0 + W0 ⊙ A + B, b = b0 + b0 ⊙ D + E + W0 C, in double precision. */
    private static double[] formula(Map<String, Tensor> t, LayerConfig c, Tensor x) {
        Tensor w0 = t.get("weight");
        Tensor b0 = t.get("bias");
        double[] y = new double[BATCH * OUT];
        for (int i = 0; i < OUT; i++) {
            double prompt = 0;
            for (int j = 0; j < IN; j++) {
                prompt += at(w0, i, j) * matrixTerm(t, "C", c.c(), j, 0);
            }
            double bias = prompt + vectorTerm(t.get("E"), c.e(), i);
            if (b0 != null) {
                bias += b0.data()[i] * (1 + vectorTerm(t.get("D"), c.d(), i));
            }
            for (int n = 0; n < BATCH; n++) {
                double sum = bias;
                for (int j = 0; j < IN; j++) {
                    double w =
                            at(w0, i, j) * (1 + matrixTerm(t, "A", c.a(), i, j))
                                    + matrixTerm(t, "B", c.b(), i, j);
                    sum += x.data()[n * IN + j] * w;
                }
                y[n * OUT + i] = sum;
            }
        }
        return y;
    }

    private static void assertClose(
            double[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, what + " at " + i);
        }
    }

    @Test
    void blockOutputEqualsFormulaForEveryModeCombination() {
        for (boolean bias : new boolean[] {true, false}) {
            Map<String, Tensor> tensors = randomLayer(bias ? 1 : 2, bias);
            GloraLinear layer = block(tensors);
            Tensor x = TinyModels.random(new SplittableRandom(3), BATCH, IN);
            var all = SearchSpace.ofRanks(RANK).all();
            assertEquals(432, all.size());
            for (LayerConfig config : all) {
                layer.setConfig(config);
                assertClose(
                        formula(tensors, config, x),
                        run(layer, x),
                        1e-5,
                        "bias=" + bias + " " + config);
            }
        }
    }

    @Test
    void mergedLinearEqualsBlockOutputForEveryModeCombination() {
        Map<String, Tensor> tensors = randomLayer(4, true);
        GloraLinear layer = block(tensors);
        Tensor x = TinyModels.random(new SplittableRandom(5), BATCH, IN);
        for (LayerConfig config : SearchSpace.ofRanks(RANK, 2).all()) {
            layer.setConfig(config);
            Map<String, Tensor> merged = new LinkedHashMap<>();
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                GloraTensors t =
                        layer.tensors(
                                new ParameterStore(manager, false), manager.getDevice(), false);
                merged.put("weight", Tensor.of(GloraLinear.mergedWeight(t, config)));
                merged.put("bias", Tensor.of(GloraLinear.mergedBias(t, config)));
            }
            LinearLayer plain = new LinearLayer(IN, OUT, true);
            ModelWeights.load(
                    plain,
                    new Shape(BATCH, IN),
                    new Checkpoint(merged, Map.of()),
                    manager,
                    "merged");
            float[] expected = run(layer, x);
            float[] actual = run(plain, x);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5, config.toString());
            }
        }
    }

    @Test
    void mergeUsesFrozenWeightForThePromptTerm() {
        Map<String, Tensor> tensors = randomLayer(6, true);
        LayerConfig config = LayerConfig.of("LoRA_4", "LoRA_4", "LoRA_4", "none", "none");
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            GloraTensors t =
                    block(tensors)
                            .tensors(
                                    new ParameterStore(manager, false), manager.getDevice(), false);
            NDArray c = GloraLinear.matrixTerm(t.cd(), t.cu(), config.c());
            NDArray right = t.bias().add(t.weight().matMul(c).reshape(-1));
            NDArray wrong = t.bias().add(GloraLinear.mergedWeight(t, config).matMul(c).reshape(-1));
            NDArray merged = GloraLinear.mergedBias(t, config);
            assertTrue(merged.allClose(right, 1e-6, 1e-6, false), "bias must be b0 + W0·C");
            assertTrue(
                    merged.sub(wrong).abs().max().getFloat() > 1e-2,
                    "the test must tell W0·C from W·C apart");
        }
    }

    @Test
    void noneTermsAreSkippedNotMaterialised() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            GloraTensors t =
                    block(randomLayer(7, true))
                            .tensors(
                                    new ParameterStore(manager, false), manager.getDevice(), false);
            assertSame(t.weight(), GloraLinear.mergedWeight(t, LayerConfig.FROZEN));
            assertSame(t.bias(), GloraLinear.mergedBias(t, LayerConfig.FROZEN));
        }
    }

    @Test
    void loraKReadsOnlyTheFirstKColumnsOfTheSharedTensors() {
        Map<String, Tensor> tensors = randomLayer(8, true);
        Map<String, Tensor> altered = new LinkedHashMap<>(tensors);
        for (String name : new String[] {"Ad", "Bd", "Cd"}) {
            Tensor t = tensors.get(name);
            float[] data = t.data().clone();
            for (int i = 0; i < data.length; i++) {
                if (i % RANK >= 2) {
                    data[i] += 1;
                }
            }
            altered.put(name, new Tensor(t.shape(), data));
        }
        Tensor x = TinyModels.random(new SplittableRandom(9), BATCH, IN);
        LayerConfig lora2 = LayerConfig.of("LoRA_2", "LoRA_2", "LoRA_2", "vector", "vector");
        LayerConfig lora4 = LayerConfig.of("LoRA_4", "LoRA_4", "LoRA_4", "vector", "vector");
        GloraLinear original = block(tensors);
        GloraLinear changed = block(altered);
        original.setConfig(lora2);
        changed.setConfig(lora2);
        assertClose(
                toDouble(run(original, x)), run(changed, x), 0, "LoRA_2 must ignore columns 2..3");
        assertClose(formula(tensors, lora2, x), run(original, x), 1e-5, "LoRA_2");
        original.setConfig(lora4);
        changed.setConfig(lora4);
        assertNotEquals(run(original, x)[0], run(changed, x)[0], "LoRA_4 reads columns 2..3");
    }

    private static double[] toDouble(float[] values) {
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }

    @Test
    void sampledPathChangesEveryForwardPassAndFollowsTheSeed() {
        GloraLinear layer = block(randomLayer(10, true));
        Tensor x = TinyModels.random(new SplittableRandom(11), BATCH, IN);
        SearchSpace space = SearchSpace.ofRanks(4, 2);
        Set<LayerConfig> seen = new HashSet<>();
        List<LayerConfig> first = new ArrayList<>();
        layer.sampleFrom(space, new SplittableRandom(42));
        for (int i = 0; i < 50; i++) {
            run(layer, x);
            seen.add(layer.lastConfig());
            first.add(layer.lastConfig());
        }
        assertTrue(
                seen.size() > 40,
                "50 draws from 900 combinations should rarely repeat, saw " + seen.size());
        layer.sampleFrom(space, new SplittableRandom(42));
        for (LayerConfig expected : first) {
            run(layer, x);
            assertEquals(expected, layer.lastConfig());
        }
    }

    @Test
    void rankAboveTheSupernetIsRejected() {
        GloraLinear layer = new GloraLinear(IN, OUT, true, 2);
        assertThrows(
                ConfigException.class,
                () -> layer.setConfig(LayerConfig.of("LoRA_4", "none", "none", "none", "none")));
        assertThrows(
                ConfigException.class,
                () -> layer.sampleFrom(SearchSpace.ofRanks(4), new SplittableRandom(1)));
    }

    @Test
    void freshAdaptersAreZeroWhereSpecifiedAndXavierBounded() {
        Map<String, Tensor> fresh =
                AdapterInit.fresh(List.of(new LayerShape("l", 96, 288, true)), 4, 7);
        for (String zero : new String[] {"l.Ad", "l.Bd", "l.Cd", "l.D", "l.E"}) {
            for (float v : fresh.get(zero).data()) {
                assertEquals(0f, v, zero);
            }
        }
        double bound = Math.sqrt(6.0 / (4 + 96));
        float max = 0;
        for (float v : fresh.get("l.Au").data()) {
            assertTrue(Math.abs(v) <= bound);
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max > 0.9 * bound, "values should fill the Xavier range");
        assertArrayEquals(new long[] {4, 1}, fresh.get("l.Cu").shape());
        assertEquals(fresh, AdapterInit.fresh(List.of(new LayerShape("l", 96, 288, true)), 4, 7));
        assertNotEquals(
                fresh, AdapterInit.fresh(List.of(new LayerShape("l", 96, 288, true)), 4, 8));
    }
}
