/**
 * Checkpoints as plain data: named {@link dev.glora.supernet.checkpoint.Tensor float tensors} plus
 * string metadata ({@link dev.glora.supernet.checkpoint.Checkpoint}), stored in the safetensors
 * format ({@link dev.glora.supernet.checkpoint.Safetensors}) under timm parameter names.
 *
 * <p>Nothing here touches native memory; a model copies tensors into NDArrays when it is built.
 */
package dev.glora.supernet.checkpoint;
