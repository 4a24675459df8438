package dev.glora.supernet.glora;

/**
 * Where one GLoRA layer sits in a ViT and how big it is.
 *
 * @param path module path, e.g. {@code blocks.0.attn.qkv}
 * @param in input features
 * @param out output features
 * @param bias whether the frozen layer has a bias
 */
public record LayerShape(String path, int in, int out, boolean bias) {}
