package dev.glora.supernet.data;

/**
 * Resampling of one image channel to a new size, separably per axis: exact area weights when an
 * axis shrinks, bilinear weights (half-pixel centres) when it grows, identity when it keeps its
 * size.
 */
final class Resize {

    private Resize() {}

    /**
     * @param image the source
     * @param c the channel
     * @param height rows of the result
     * @param width columns of the result
     * @param out receives height x width values on the 0–255 scale
     */
    static void channel(Image image, int c, int height, int width, float[] out) {
        float[][] rows = weights(image.height(), height);
        float[][] cols = weights(image.width(), width);
        float[] tmp = new float[image.height() * width];
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < width; x++) {
                float[] w = cols[x];
                float sum = 0;
                for (int i = 0; i < image.width(); i++) {
                    if (w[i] != 0) {
                        sum += w[i] * image.at(c, y, i);
                    }
                }
                tmp[y * width + x] = sum;
            }
        }
        for (int y = 0; y < height; y++) {
            float[] w = rows[y];
            for (int x = 0; x < width; x++) {
                float sum = 0;
                for (int i = 0; i < image.height(); i++) {
                    if (w[i] != 0) {
                        sum += w[i] * tmp[i * width + x];
                    }
                }
                out[y * width + x] = sum;
            }
        }
    }

    /**
     * @return for every output index, the weight of every input index (rows sum to 1)
     */
    private static float[][] weights(int from, int to) {
        float[][] w = new float[to][from];
        if (from == to) {
            for (int i = 0; i < to; i++) {
                w[i][i] = 1;
            }
        } else if (to < from) {
            double scale = (double) from / to;
            for (int o = 0; o < to; o++) {
                double start = o * scale;
                double end = start + scale;
                for (int i = (int) Math.floor(start);
                        i < Math.min(from, (int) Math.ceil(end));
                        i++) {
                    double overlap = Math.min(end, i + 1) - Math.max(start, i);
                    w[o][i] = (float) (overlap / scale);
                }
            }
        } else {
            double scale = (double) from / to;
            for (int o = 0; o < to; o++) {
                double src = Math.max(0, (o + 0.5) * scale - 0.5);
                int lo = Math.min((int) Math.floor(src), from - 1);
                int hi = Math.min(lo + 1, from - 1);
                double frac = src - lo;
                w[o][lo] += (float) (1 - frac);
                w[o][hi] += (float) frac;
            }
        }
        return w;
    }
}
