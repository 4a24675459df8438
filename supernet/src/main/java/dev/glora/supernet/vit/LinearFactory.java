package dev.glora.supernet.vit;

import ai.djl.nn.Block;

/**
 * Makes the four linear layers of each transformer block, so that one ViT definition serves as a
 * plain backbone and as a GLoRA supernet.
 */
@FunctionalInterface
public interface LinearFactory {

    /** Plain frozen-or-trainable linears with {@code weight} and {@code bias}. */
    LinearFactory PLAIN = (path, in, out, bias) -> new LinearLayer(in, out, bias);

    /**
     * @param path the layer's module path, e.g. {@code blocks.0.attn.qkv}
     * @param in input features
     * @param out output features
     * @param bias whether the layer has a bias
     * @return a block mapping (..., in) to (..., out), whose parameters include {@code weight} (out
     *     x in) and, with a bias, {@code bias} (out)
     */
    Block create(String path, int in, int out, boolean bias);
}
