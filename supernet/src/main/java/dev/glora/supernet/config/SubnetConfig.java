package dev.glora.supernet.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One GLoRA subnet: a {@link LayerConfig} for every GLoRA layer of a model, in model order, keyed
 * by the layer's module path (e.g. {@code blocks.0.attn.qkv}).
 */
public final class SubnetConfig {

    private final Map<String, LayerConfig> layers;

    /**
     * @param layers the configuration of every layer, in model order
     */
    public SubnetConfig(Map<String, LayerConfig> layers) {
        if (layers == null || layers.isEmpty()) {
            throw new ConfigException("a subnet configuration needs at least one layer");
        }
        this.layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
    }

    /**
     * @param layerNames the GLoRA layers of a model, in order
     * @param config the configuration to give each
     * @return a subnet where every layer has the same configuration
     */
    public static SubnetConfig uniform(List<String> layerNames, LayerConfig config) {
        Map<String, LayerConfig> layers = new LinkedHashMap<>();
        layerNames.forEach(name -> layers.put(name, config));
        return new SubnetConfig(layers);
    }

    /**
     * LoRA as the baselines train it (BENCHMARK.md §1): a rank-{@code rank} product in B (the
     * weight's update) of every {@code attn.qkv} layer, every other layer frozen.
     *
     * @param layerNames the GLoRA layers of a model, in order
     * @param rank the LoRA rank
     * @return that configuration
     */
    public static SubnetConfig lora(List<String> layerNames, int rank) {
        Mode lora = Mode.lora(rank);
        Map<String, LayerConfig> layers = new LinkedHashMap<>();
        layerNames.forEach(
                name ->
                        layers.put(
                                name,
                                name.endsWith("attn.qkv")
                                        ? new LayerConfig(
                                                Mode.NONE, lora, Mode.NONE, Mode.NONE, Mode.NONE)
                                        : LayerConfig.FROZEN));
        return new SubnetConfig(layers);
    }

    /**
     * @return the configuration of every layer, in model order
     */
    public Map<String, LayerConfig> layers() {
        return layers;
    }

    /**
     * @param layer a layer's module path
     * @return its configuration
     * @throws ConfigException if the layer is not part of this configuration
     */
    public LayerConfig layer(String layer) {
        LayerConfig config = layers.get(layer);
        if (config == null) {
            throw new ConfigException("the configuration has no entry for layer " + layer);
        }
        return config;
    }

    /**
     * Checks that this configuration fits a supernet: the same layers (in any order: every entry
     * names its layer), and no LoRA rank above the supernet's.
     *
     * @param layerNames the supernet's GLoRA layers, in model order
     * @param supernetRank the rank of the supernet's shared tensors
     * @throws ConfigException naming every unknown layer, missing layer and rank that is too high
     */
    public void checkFits(List<String> layerNames, int supernetRank) {
        List<String> problems = new ArrayList<>();
        for (String name : layers.keySet()) {
            if (!layerNames.contains(name)) {
                problems.add("unknown layer " + name);
            }
        }
        for (String name : layerNames) {
            if (!layers.containsKey(name)) {
                problems.add("missing layer " + name);
            }
        }
        layers.forEach(
                (name, config) -> {
                    for (Term term : Term.values()) {
                        int k = config.mode(term).rank();
                        if (k > supernetRank) {
                            problems.add(
                                    "layer "
                                            + name
                                            + " term "
                                            + term
                                            + ": "
                                            + config.mode(term)
                                            + " is above the supernet rank "
                                            + supernetRank);
                        }
                    }
                });
        if (!problems.isEmpty()) {
            throw new ConfigException(
                    "configuration does not fit the supernet: " + String.join("; ", problems));
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SubnetConfig that
                && layers.equals(that.layers)
                && new ArrayList<>(layers.keySet()).equals(new ArrayList<>(that.layers.keySet()));
    }

    @Override
    public int hashCode() {
        return layers.hashCode();
    }

    @Override
    public String toString() {
        return "SubnetConfig" + layers;
    }

    /**
     * @return the largest LoRA rank any of its layers uses, at least 1 (the rank fresh adapters
     *     need)
     */
    public int maxRank() {
        return Math.max(
                1, layers().values().stream().mapToInt(LayerConfig::maxRank).max().orElse(1));
    }
}
