package dev.glora.supernet.importer;

import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Google's original ViT {@code .npz} layout (the {@code vit_jax} checkpoints such as {@code
 * ViT-B_16.npz} that the GLoRA reference loads) mapped to timm's names, as timm's {@code
 * _load_weights} maps it: {@code embedding/kernel} HWIO to OIHW, Dense kernels (in, out)
 * transposed, the separate {@code query}/{@code key}/{@code value} kernels (D, heads, D/heads)
 * flattened, transposed and concatenated into {@code attn.qkv}, {@code out/kernel} (heads, D/heads,
 * D) into {@code attn.proj}.
 */
final class GoogleVit {

    private static final String[] PREFIXES = {"", "opt/target/"};

    private GoogleVit() {}

    /**
     * The tensors under timm's names.
     *
     * @param tensors by timm name
     * @param numHeads the head count the query kernels' shape gives
     * @param preLogits whether the file had an in21k {@code pre_logits} layer (left out of the
     *     tensors)
     */
    record Converted(Map<String, Tensor> tensors, int numHeads, boolean preLogits) {}

    /**
     * @param arrays the archive's arrays by name
     * @param source the file, for error messages
     * @return the tensors under timm's names
     * @throws CheckpointException if an array is missing, misshaped or not of this layout
     */
    static Converted toTimm(Map<String, Tensor> arrays, String source) {
        String prefix = prefix(arrays, source);
        Map<String, Tensor> left = new LinkedHashMap<>(arrays);
        Reader r = new Reader(left, prefix, source);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("cls_token", r.take("cls", 3));
        out.put("pos_embed", r.take("Transformer/posembed_input/pos_embedding", 3));
        out.put(
                "patch_embed.proj.weight",
                TensorLayout.permute(r.take("embedding/kernel", 4), 3, 2, 0, 1));
        out.put("patch_embed.proj.bias", r.take("embedding/bias", 1));
        int heads = -1;
        for (int i = 0;
                left.containsKey(prefix + "Transformer/encoderblock_" + i + "/LayerNorm_0/scale");
                i++) {
            String b = "Transformer/encoderblock_" + i + "/";
            String t = "blocks." + i + ".";
            String mha = b + "MultiHeadDotProductAttention_1/";
            out.put(t + "norm1.weight", r.take(b + "LayerNorm_0/scale", 1));
            out.put(t + "norm1.bias", r.take(b + "LayerNorm_0/bias", 1));
            Tensor[] kernels = new Tensor[3];
            Tensor[] biases = new Tensor[3];
            String[] names = {"query", "key", "value"};
            for (int k = 0; k < 3; k++) {
                Tensor kernel = r.take(mha + names[k] + "/kernel", 3);
                long[] s = kernel.shape();
                if (heads < 0) {
                    heads = (int) s[1];
                } else if (heads != s[1]) {
                    throw new CheckpointException(
                            source
                                    + ": array "
                                    + prefix
                                    + mha
                                    + names[k]
                                    + "/kernel has "
                                    + s[1]
                                    + " heads, earlier blocks "
                                    + heads);
                }
                kernels[k] =
                        TensorLayout.permute(TensorLayout.reshape(kernel, s[0], s[1] * s[2]), 1, 0);
                Tensor bias = r.take(mha + names[k] + "/bias", 2);
                biases[k] = TensorLayout.reshape(bias, bias.data().length);
            }
            out.put(t + "attn.qkv.weight", TensorLayout.concat(kernels));
            out.put(t + "attn.qkv.bias", TensorLayout.concat(biases));
            Tensor proj = r.take(mha + "out/kernel", 3);
            long[] ps = proj.shape();
            out.put(
                    t + "attn.proj.weight",
                    TensorLayout.permute(TensorLayout.reshape(proj, ps[0] * ps[1], ps[2]), 1, 0));
            out.put(t + "attn.proj.bias", r.take(mha + "out/bias", 1));
            out.put(t + "norm2.weight", r.take(b + "LayerNorm_2/scale", 1));
            out.put(t + "norm2.bias", r.take(b + "LayerNorm_2/bias", 1));
            for (int d = 0; d < 2; d++) {
                String dense = b + "MlpBlock_3/Dense_" + d + "/";
                out.put(
                        t + "mlp.fc" + (d + 1) + ".weight",
                        TensorLayout.permute(r.take(dense + "kernel", 2), 1, 0));
                out.put(t + "mlp.fc" + (d + 1) + ".bias", r.take(dense + "bias", 1));
            }
        }
        if (heads < 0) {
            throw new CheckpointException(
                    source + ": no Transformer/encoderblock_0 arrays (not an original ViT .npz)");
        }
        out.put("norm.weight", r.take("Transformer/encoder_norm/scale", 1));
        out.put("norm.bias", r.take("Transformer/encoder_norm/bias", 1));
        if (left.containsKey(prefix + "head/kernel")) {
            out.put("head.weight", TensorLayout.permute(r.take("head/kernel", 2), 1, 0));
            out.put("head.bias", r.take("head/bias", 1));
        }
        if (left.containsKey(prefix + "pre_logits/kernel")) {
            r.take("pre_logits/kernel", 2);
            r.take("pre_logits/bias", 1);
        }
        if (!left.isEmpty()) {
            throw new CheckpointException(
                    source
                            + ": arrays this importer does not know (a ViT variant it does not"
                            + " support?): "
                            + String.join(", ", new TreeSet<>(left.keySet())));
        }
        return new Converted(out, heads, arrays.containsKey(prefix + "pre_logits/kernel"));
    }

    private static String prefix(Map<String, Tensor> arrays, String source) {
        for (String prefix : PREFIXES) {
            if (arrays.containsKey(prefix + "embedding/kernel")) {
                if (arrays.containsKey(prefix + "pos_embedding")
                        || arrays.containsKey(
                                prefix + "Transformer/encoderblock/LayerNorm_0/scale")) {
                    break;
                }
                return prefix;
            }
        }
        throw new CheckpointException(
                source
                        + ": not an original Google ViT .npz (no embedding/kernel, or the"
                        + " big_vision layout, which is not supported)");
    }

    /** Takes arrays out of the map by name, checking their rank. */
    private record Reader(Map<String, Tensor> left, String prefix, String source) {
        Tensor take(String name, int rank) {
            Tensor t = left.remove(prefix + name);
            if (t == null) {
                throw new CheckpointException(source + ": missing array " + prefix + name);
            }
            if (t.shape().length != rank) {
                throw new CheckpointException(
                        source
                                + ": array "
                                + prefix
                                + name
                                + " has shape "
                                + t.shapeString()
                                + ", expected "
                                + rank
                                + " axes");
            }
            return t;
        }
    }
}
