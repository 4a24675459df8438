package dev.glora.search;

import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.config.Term;
import dev.glora.supernet.glora.LayerShape;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The known adapters of the GLoRA space, as seeds of a search's first generation: points a user
 * would otherwise train by hand, so that the search starts from them rather than hoping to draw
 * them. LoRA on every {@code attn.qkv} at rank r is B = {@code LoRA_r} there and every other term
 * {@code none}; the weight-sharing proxy ranks it badly (issue 30), so without a seed the search
 * rarely even evaluates it.
 *
 * <p>In this order, each kept only when it fits the search's limits and is not a repeat: plain LoRA
 * on every {@code attn.qkv} at each rank of the space, largest first ({@code lora_qkv_r<r>}); LoRA
 * on every linear layer at each rank, largest first ({@code lora_all_r<r>}); every term a vector
 * ({@code all_vector}); every term a scalar ({@code all_constant}, C {@code none}, which has no
 * scalar mode).
 */
public final class KnownAdapters {

    private KnownAdapters() {}

    /**
     * One known adapter. @param name its label @param alleles its mode indices @param parameters
     * its size
     */
    public record Seed(String name, int[] alleles, long parameters) {}

    /**
     * @param encoding the search's encoding
     * @param settings the search's settings (limits and seed set)
     * @return the seeds that fit, in the order above; none for {@link SearchSettings.Seeds#NONE}
     */
    public static List<Seed> of(Encoding encoding, SearchSettings settings) {
        if (settings.seeds() == SearchSettings.Seeds.NONE) {
            return List.of();
        }
        List<LayerShape> layers = encoding.layers();
        List<Integer> ranks =
                new ArrayList<>(
                        encoding.costs().modes(Term.B).stream()
                                .filter(m -> m.kind() == Mode.Kind.LORA)
                                .map(Mode::rank)
                                .toList());
        ranks.sort(Comparator.reverseOrder());
        Map<String, SubnetConfig> known = new LinkedHashMap<>();
        List<String> names = layers.stream().map(LayerShape::path).toList();
        for (int rank : ranks) {
            known.put("lora_qkv_r" + rank, SubnetConfig.lora(names, rank));
        }
        for (int rank : ranks) {
            Mode lora = Mode.lora(rank);
            known.put(
                    "lora_all_r" + rank,
                    SubnetConfig.uniform(
                            names,
                            new LayerConfig(Mode.NONE, lora, Mode.NONE, Mode.NONE, Mode.NONE)));
        }
        known.put(
                "all_vector",
                SubnetConfig.uniform(
                        names,
                        new LayerConfig(
                                Mode.VECTOR, Mode.VECTOR, Mode.VECTOR, Mode.VECTOR, Mode.VECTOR)));
        known.put(
                "all_constant",
                SubnetConfig.uniform(
                        names,
                        new LayerConfig(
                                Mode.CONSTANT,
                                Mode.CONSTANT,
                                Mode.NONE,
                                Mode.CONSTANT,
                                Mode.CONSTANT)));
        List<Seed> seeds = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (Map.Entry<String, SubnetConfig> entry : known.entrySet()) {
            int[] alleles = encoding.encode(entry.getValue());
            long parameters = encoding.parameters(alleles);
            boolean fits =
                    parameters >= settings.minParams()
                            && (settings.maxParams() < 0 || parameters <= settings.maxParams());
            if (fits && keys.add(Encoding.key(alleles))) {
                seeds.add(new Seed(entry.getKey(), alleles, parameters));
            }
        }
        return List.copyOf(seeds);
    }
}
