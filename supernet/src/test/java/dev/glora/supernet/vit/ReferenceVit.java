package dev.glora.supernet.vit;

import dev.glora.supernet.checkpoint.Tensor;
import java.util.Map;

/**
 * timm's VisionTransformer forward pass written out in double precision with plain loops, to check
 * the DJL blocks against: patch order, qkv split, head layout, exact GELU, LayerNorm eps 1e-6.
 */
final class ReferenceVit {

    private final VitArchitecture arch;
    private final Map<String, Tensor> w;

    ReferenceVit(VitArchitecture arch, Map<String, Tensor> tensors) {
        this.arch = arch;
        this.w = tensors;
    }

    double[] logits(Tensor images) {
        int batch = (int) images.shape()[0];
        int classes = arch.numClasses();
        double[] out = new double[batch * classes];
        for (int n = 0; n < batch; n++) {
            double[][] x = embed(images, n);
            for (int b = 0; b < arch.depth(); b++) {
                x = block(x, "blocks." + b + ".");
            }
            double[] cls = layerNorm(x[0], "norm.");
            double[] y = linear(cls, "head.");
            System.arraycopy(y, 0, out, n * classes, classes);
        }
        return out;
    }

    private double[][] embed(Tensor images, int n) {
        int c = arch.inChans();
        int size = arch.imgSize();
        int p = arch.patchSize();
        int side = size / p;
        int d = arch.embedDim();
        float[] proj = w.get("patch_embed.proj.weight").data();
        float[] projBias = w.get("patch_embed.proj.bias").data();
        float[] pos = w.get("pos_embed").data();
        double[][] x = new double[arch.tokens()][d];
        for (int k = 0; k < d; k++) {
            x[0][k] = w.get("cls_token").data()[k] + pos[k];
        }
        for (int py = 0; py < side; py++) {
            for (int px = 0; px < side; px++) {
                int token = 1 + py * side + px;
                for (int k = 0; k < d; k++) {
                    double sum = projBias[k];
                    for (int ch = 0; ch < c; ch++) {
                        for (int i = 0; i < p; i++) {
                            for (int j = 0; j < p; j++) {
                                double pixel =
                                        images.data()[
                                                ((n * c + ch) * size + py * p + i) * size
                                                        + px * p
                                                        + j];
                                sum += proj[((k * c + ch) * p + i) * p + j] * pixel;
                            }
                        }
                    }
                    x[token][k] = sum + pos[token * d + k];
                }
            }
        }
        return x;
    }

    private double[][] block(double[][] x, String p) {
        int t = x.length;
        int d = arch.embedDim();
        int heads = arch.numHeads();
        int dh = d / heads;
        double[][] qkv = new double[t][];
        for (int i = 0; i < t; i++) {
            qkv[i] = linear(layerNorm(x[i], p + "norm1."), p + "attn.qkv.");
        }
        double[][] mixed = new double[t][d];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < t; i++) {
                double[] scores = new double[t];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    double dot = 0;
                    for (int k = 0; k < dh; k++) {
                        dot += qkv[i][h * dh + k] * qkv[j][d + h * dh + k];
                    }
                    scores[j] = dot / Math.sqrt(dh);
                    max = Math.max(max, scores[j]);
                }
                double total = 0;
                for (int j = 0; j < t; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    total += scores[j];
                }
                for (int j = 0; j < t; j++) {
                    for (int k = 0; k < dh; k++) {
                        mixed[i][h * dh + k] += scores[j] / total * qkv[j][2 * d + h * dh + k];
                    }
                }
            }
        }
        double[][] y = new double[t][];
        for (int i = 0; i < t; i++) {
            double[] attended = add(x[i], linear(mixed[i], p + "attn.proj."));
            double[] hidden = linear(layerNorm(attended, p + "norm2."), p + "mlp.fc1.");
            for (int k = 0; k < hidden.length; k++) {
                hidden[k] = 0.5 * hidden[k] * (1 + erf(hidden[k] / Math.sqrt(2)));
            }
            y[i] = add(attended, linear(hidden, p + "mlp.fc2."));
        }
        return y;
    }

    private double[] linear(double[] x, String p) {
        Tensor weight = w.get(p + "weight");
        int out = (int) weight.shape()[0];
        int in = (int) weight.shape()[1];
        Tensor bias = w.get(p + "bias");
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = bias == null ? 0 : bias.data()[o];
            for (int i = 0; i < in; i++) {
                sum += weight.data()[o * in + i] * x[i];
            }
            y[o] = sum;
        }
        return y;
    }

    private double[] layerNorm(double[] x, String p) {
        double mean = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] =
                    (x[i] - mean) / Math.sqrt(var + 1e-6) * w.get(p + "weight").data()[i]
                            + w.get(p + "bias").data()[i];
        }
        return y;
    }

    private static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    /** erf by its Maclaurin series (|x| small) or continued fraction, accurate to ~1e-12. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double result;
        if (ax < 3) {
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 100; n++) {
                term *= -ax * ax / n;
                sum += term / (2 * n + 1);
            }
            result = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = n / 2.0 / (ax + f);
            }
            result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return Math.copySign(result, x);
    }
}
