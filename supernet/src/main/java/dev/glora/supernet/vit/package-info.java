/**
 * A timm-layout Vision Transformer as DJL blocks: {@link dev.glora.supernet.vit.PatchEmbed}, class
 * token and learned position embedding, pre-norm {@link dev.glora.supernet.vit.TransformerBlock}s
 * (fused {@code attn.qkv}, {@code attn.proj}, {@code mlp.fc1}, {@code mlp.fc2}), final {@link
 * dev.glora.supernet.vit.Norm} and a linear head on the class token.
 *
 * <p>The four linears of each block come from a {@link dev.glora.supernet.vit.LinearFactory}: plain
 * {@link dev.glora.supernet.vit.LinearLayer}s in a backbone, GLoRA layers in a supernet. Parameters
 * carry timm names ({@code blocks.3.attn.qkv.weight}) and are filled from a checkpoint by {@link
 * dev.glora.supernet.vit.ModelWeights}.
 */
package dev.glora.supernet.vit;
