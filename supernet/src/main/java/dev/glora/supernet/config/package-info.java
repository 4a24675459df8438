/**
 * What a GLoRA subnet is made of: the five {@link dev.glora.supernet.config.Term terms} A–E of a
 * layer, the {@link dev.glora.supernet.config.Mode mode} each takes, a whole layer's {@link
 * dev.glora.supernet.config.LayerConfig}, the {@link dev.glora.supernet.config.SearchSpace} of
 * allowed modes, a model-wide {@link dev.glora.supernet.config.SubnetConfig}, and its {@code
 * glora-config/1} JSON form ({@link dev.glora.supernet.config.ConfigJson}).
 *
 * <p>All types here are immutable values; none touches native memory.
 */
package dev.glora.supernet.config;
