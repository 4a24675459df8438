/**
 * The GLoRA layer and the weight-shared supernet built from it.
 *
 * <p>{@link dev.glora.supernet.glora.GloraLinear} is one adapted linear layer (docs/GLORA.md §1): a
 * frozen \(W_0, b_0\) plus the eight shared tensors {@code Ad Au Bd Bu Cd Cu D E}, from which every
 * mode of every term is sliced. {@link dev.glora.supernet.glora.Supernet} is a ViT whose four
 * linears per block are GLoRA layers; it runs either one fixed {@link SubnetConfig} or a fresh
 * random path per forward pass. {@link dev.glora.supernet.glora.AdapterInit} makes the initial
 * shared tensors.
 */
package dev.glora.supernet.glora;

import dev.glora.supernet.config.SubnetConfig;
