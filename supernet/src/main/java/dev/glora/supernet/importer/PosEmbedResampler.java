package dev.glora.supernet.importer;

import dev.glora.supernet.checkpoint.Tensor;

/**
 * Resamples a learned position embedding to another patch grid, as timm's {@code
 * resample_abs_pos_embed} does by default: the class token's row is kept, the grid rows are resized
 * with PyTorch's antialiased bicubic interpolation ({@code F.interpolate(mode="bicubic",
 * antialias=True, align_corners=False)}: Keys' cubic with a = -0.5, taps outside the grid dropped
 * and the weights renormalised, the kernel widened by the scale when shrinking).
 */
public final class PosEmbedResampler {

    private PosEmbedResampler() {}

    /**
     * @param posEmbed (1, 1 + side², D): the class token's row, then the grid row-major
     * @param newSide the new grid's side
     * @return (1, 1 + newSide², D)
     * @throws IllegalArgumentException if the rows after the first do not form a square grid
     */
    public static Tensor resample(Tensor posEmbed, int newSide) {
        long[] shape = posEmbed.shape();
        if (shape.length != 3 || shape[0] != 1) {
            throw new IllegalArgumentException(
                    "pos_embed must be (1, tokens, D), got " + posEmbed.shapeString());
        }
        int dim = (int) shape[2];
        int side = gridSide(shape[1] - 1);
        if (side < 1) {
            throw new IllegalArgumentException(
                    "pos_embed "
                            + posEmbed.shapeString()
                            + " is not a class token plus a square grid");
        }
        float[] in = posEmbed.data();
        double[][] rows = weights(side, newSide);
        float[] out = new float[(1 + newSide * newSide) * dim];
        System.arraycopy(in, 0, out, 0, dim);
        // Separable, in double: along x for every input row, then along y.
        double[] tmp = new double[side * newSide * dim];
        for (int y = 0; y < side; y++) {
            for (int nx = 0; nx < newSide; nx++) {
                for (int x = 0; x < side; x++) {
                    double w = rows[nx][x];
                    if (w == 0) {
                        continue;
                    }
                    int src = (1 + y * side + x) * dim;
                    int dst = (y * newSide + nx) * dim;
                    for (int k = 0; k < dim; k++) {
                        tmp[dst + k] += w * in[src + k];
                    }
                }
            }
        }
        double[] grid = new double[newSide * newSide * dim];
        for (int ny = 0; ny < newSide; ny++) {
            for (int y = 0; y < side; y++) {
                double w = rows[ny][y];
                if (w == 0) {
                    continue;
                }
                for (int nx = 0; nx < newSide; nx++) {
                    int src = (y * newSide + nx) * dim;
                    int dst = (ny * newSide + nx) * dim;
                    for (int k = 0; k < dim; k++) {
                        grid[dst + k] += w * tmp[src + k];
                    }
                }
            }
        }
        for (int i = 0; i < grid.length; i++) {
            out[dim + i] = (float) grid[i];
        }
        return new Tensor(new long[] {1, 1 + (long) newSide * newSide, dim}, out);
    }

    /**
     * @param patches the number of grid rows
     * @return the side of the square grid they form, or -1
     */
    public static int gridSide(long patches) {
        int side = (int) Math.round(Math.sqrt(patches));
        return (long) side * side == patches ? side : -1;
    }

    /**
     * PyTorch's antialiased bicubic weights from {@code in} samples to {@code out}, as [out][in].
     */
    static double[][] weights(int in, int out) {
        double scale = (double) in / out;
        double support = scale >= 1 ? 2 * scale : 2;
        double invScale = scale >= 1 ? 1 / scale : 1;
        double[][] w = new double[out][in];
        for (int i = 0; i < out; i++) {
            double center = scale * (i + 0.5);
            int min = Math.max((int) (center - support + 0.5), 0);
            int max = Math.min((int) (center + support + 0.5), in);
            double total = 0;
            for (int j = min; j < max; j++) {
                total += cubic((j - center + 0.5) * invScale);
            }
            for (int j = min; j < max; j++) {
                w[i][j] = total == 0 ? 0 : cubic((j - center + 0.5) * invScale) / total;
            }
        }
        return w;
    }

    private static double cubic(double x) {
        double a = -0.5;
        double t = Math.abs(x);
        if (t < 1) {
            return ((a + 2) * t - (a + 3)) * t * t + 1;
        }
        if (t < 2) {
            return (((t - 5) * t + 8) * t - 4) * a;
        }
        return 0;
    }
}
