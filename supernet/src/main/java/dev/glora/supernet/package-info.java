/**
 * The GLoRA supernet library: the GLoRA layer, the timm-layout ViT it adapts, checkpoints and
 * structural re-parameterization. It knows nothing of databases or HTTP.
 *
 * <p>{@link dev.glora.supernet.GloraException} is the root of every error this module raises;
 * {@link dev.glora.supernet.TorchRuntime} loads the PyTorch engine strictly offline.
 */
package dev.glora.supernet;
