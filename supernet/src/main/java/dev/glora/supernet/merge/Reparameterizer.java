package dev.glora.supernet.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.GloraLinear;
import dev.glora.supernet.glora.GloraTensors;
import dev.glora.supernet.glora.LayerShape;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges a supernet with a configuration into plain linear layers: per GLoRA layer, \(W = W_0 + W_0
 * \odot A + B\) and \(b = b_0 + b_0 \odot D + E + W_0 C\), computed once by the same functions the
 * layer's forward pass uses, and stored as {@code weight} and {@code bias}.
 *
 * <p>The result has the backbone's tensor names, shapes and metadata and no GLoRA tensors. The one
 * exception: a bias-less {@code attn.qkv} (timm {@code qkv_bias=False}) whose E or C is active
 * needs a bias, so the merged model gets {@code qkv_bias=true} (zero where no term adds one).
 */
public final class Reparameterizer {

    private Reparameterizer() {}

    /**
     * @param supernet a supernet checkpoint
     * @param config the configuration to merge; must fit the supernet
     * @param provenance metadata to add (producer, sources, config checksum)
     * @param source the supernet's file, for error messages
     * @return the merged plain checkpoint
     */
    public static Checkpoint merge(
            Checkpoint supernet,
            SubnetConfig config,
            Map<String, String> provenance,
            String source) {
        VitArchitecture arch = VitArchitecture.fromMetadata(supernet.metadata(), source);
        int rank = Supernet.rankOf(supernet, source);
        List<LayerShape> shapes = Supernet.layerShapes(arch);
        config.checkFits(Supernet.layerNames(arch), rank);
        boolean needsQkvBias =
                !arch.qkvBias()
                        && shapes.stream()
                                .filter(s -> !s.bias())
                                .map(s -> config.layer(s.path()))
                                .anyMatch(
                                        c ->
                                                c.c().kind() != Mode.Kind.NONE
                                                        || c.e().kind() != Mode.Kind.NONE);

        Map<String, Tensor> merged = new LinkedHashMap<>();
        Map<String, LayerShape> byPath = new LinkedHashMap<>();
        shapes.forEach(s -> byPath.put(s.path(), s));
        for (Map.Entry<String, Tensor> entry : supernet.tensors().entrySet()) {
            String name = entry.getKey();
            int dot = name.lastIndexOf('.');
            String owner = dot < 0 ? "" : name.substring(0, dot);
            String leaf = name.substring(dot + 1);
            LayerShape layer = byPath.get(owner);
            if (layer == null) {
                merged.put(name, entry.getValue());
            } else if (leaf.equals("weight")) {
                Tensor[] wb = mergeLayer(supernet, layer, config.layer(owner));
                merged.put(name, wb[0]);
                if (wb[1] != null || (needsQkvBias && !layer.bias())) {
                    merged.put(owner + ".bias", wb[1] != null ? wb[1] : Tensor.zeros(layer.out()));
                }
            }
        }
        VitArchitecture plain = needsQkvBias ? arch.withQkvBias(true) : arch;
        Map<String, String> meta = new LinkedHashMap<>(supernet.metadata());
        meta.remove(Supernet.RANK_KEY);
        meta.remove("glora_init_seed");
        meta.putAll(plain.toMetadata());
        meta.putAll(provenance);
        return new Checkpoint(merged, meta);
    }

    /**
     * @return {weight, bias}; bias null when the merged layer has none
     */
    private static Tensor[] mergeLayer(Checkpoint supernet, LayerShape layer, LayerConfig config) {
        String p = layer.path() + ".";
        try (NDManager manager = TorchRuntime.newManager()) {
            GloraTensors t =
                    new GloraTensors(
                            array(manager, supernet, p + "weight"),
                            layer.bias() ? array(manager, supernet, p + "bias") : null,
                            array(manager, supernet, p + "Ad"),
                            array(manager, supernet, p + "Au"),
                            array(manager, supernet, p + "Bd"),
                            array(manager, supernet, p + "Bu"),
                            array(manager, supernet, p + "Cd"),
                            array(manager, supernet, p + "Cu"),
                            array(manager, supernet, p + "D"),
                            array(manager, supernet, p + "E"));
            NDArray w = GloraLinear.mergedWeight(t, config);
            NDArray b = GloraLinear.mergedBias(t, config);
            return new Tensor[] {Tensor.of(w), b == null ? null : Tensor.of(b)};
        }
    }

    private static NDArray array(NDManager manager, Checkpoint checkpoint, String name) {
        return checkpoint.tensor(name).toNDArray(manager);
    }
}
