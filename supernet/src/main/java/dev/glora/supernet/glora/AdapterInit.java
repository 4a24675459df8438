package dev.glora.supernet.glora;

import dev.glora.supernet.checkpoint.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The initial shared tensors of GLoRA layers (docs/GLORA.md §1): every down tensor and D, E zero;
 * every up tensor ({@code Au}, {@code Bu}, {@code Cu}) Xavier-uniform. Because the zeros make every
 * term vanish, a fresh supernet computes exactly its backbone.
 */
public final class AdapterInit {

    private AdapterInit() {}

    /**
     * Makes fresh adapters for every layer. Each layer draws from its own stream split off one
     * generator seeded with {@code seed}, in model order, so the result depends only on the seed,
     * the layer shapes and the rank.
     *
     * @param layers the GLoRA layers, in model order
     * @param rank the supernet rank r
     * @param seed the seed
     * @return tensors named {@code <path>.Ad} … {@code <path>.E}, in model order
     */
    public static Map<String, Tensor> fresh(Iterable<LayerShape> layers, int rank, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (LayerShape layer : layers) {
            SplittableRandom random = root.split();
            String p = layer.path() + ".";
            tensors.put(p + "Ad", Tensor.zeros(layer.out(), rank));
            tensors.put(p + "Au", xavierUniform(random, rank, layer.in()));
            tensors.put(p + "Bd", Tensor.zeros(layer.out(), rank));
            tensors.put(p + "Bu", xavierUniform(random, rank, layer.in()));
            tensors.put(p + "Cd", Tensor.zeros(layer.in(), rank));
            tensors.put(p + "Cu", xavierUniform(random, rank, 1));
            tensors.put(p + "D", Tensor.zeros(layer.out()));
            tensors.put(p + "E", Tensor.zeros(layer.out()));
        }
        return tensors;
    }

    /**
     * PyTorch's {@code xavier_uniform_} for a rows x cols matrix: U(-a, a) with \(a = \sqrt{6 /
     * (\mathrm{rows} + \mathrm{cols})}\).
     *
     * @param random the source
     * @param rows fan-out
     * @param cols fan-in
     * @return the matrix
     */
    public static Tensor xavierUniform(SplittableRandom random, int rows, int cols) {
        double bound = Math.sqrt(6.0 / (rows + cols));
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextDouble(-bound, bound);
        }
        return new Tensor(new long[] {rows, cols}, data);
    }
}
