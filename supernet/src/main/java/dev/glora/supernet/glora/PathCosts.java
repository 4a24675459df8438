package dev.glora.supernet.glora;

import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.config.Term;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A search space's paths through a supernet as mode indices in the search's flat gene order: {@code
 * alleles[layer * 5 + term]} indexes {@link SearchSpace#modes(Term)} of that term. Knows the
 * trainable parameters every choice adds (docs/GLORA.md §1) and draws paths within a parameter
 * budget, for the search's first generation and for supernet training under a limit.
 */
public final class PathCosts {

    private static final Term[] TERMS = Term.values();

    private final List<LayerShape> layers;
    private final Map<Term, List<Mode>> modes = new EnumMap<>(Term.class);

    /**
     * @param layers the GLoRA layers, in model order
     * @param space the modes every term may take
     */
    public PathCosts(List<LayerShape> layers, SearchSpace space) {
        this.layers = List.copyOf(layers);
        for (Term term : TERMS) {
            modes.put(term, space.modes(term));
        }
    }

    /**
     * @return genes per path: five per layer
     */
    public int length() {
        return layers.size() * TERMS.length;
    }

    /**
     * @return the layer shapes, in model order
     */
    public List<LayerShape> layers() {
        return layers;
    }

    /**
     * @param term a term
     * @return the modes it chooses from, in allele order
     */
    public List<Mode> modes(Term term) {
        return modes.get(term);
    }

    /**
     * @param gene a gene index
     * @return how many modes that gene chooses from
     */
    public int alleles(int gene) {
        return modes.get(TERMS[gene % TERMS.length]).size();
    }

    /**
     * @param gene a gene index
     * @param allele one of its mode indices
     * @return the trainable parameters that mode adds to that layer's term
     */
    public long cost(int gene, int allele) {
        Term term = TERMS[gene % TERMS.length];
        LayerShape layer = layers.get(gene / TERMS.length);
        return term.parameterCount(modes.get(term).get(allele), layer.out(), layer.in());
    }

    /**
     * @param gene a gene index
     * @param from the allele to start from
     * @param cheapest the cheapest (true) or the costliest (false)
     * @return the first allele that adds the fewest (most) parameters, or {@code from} if none is
     *     strictly better
     */
    public int extreme(int gene, int from, boolean cheapest) {
        int chosen = from;
        for (int allele = 0; allele < alleles(gene); allele++) {
            long cost = cost(gene, allele);
            if (cheapest ? cost < cost(gene, chosen) : cost > cost(gene, chosen)) {
                chosen = allele;
            }
        }
        return chosen;
    }

    /**
     * @return the fewest and the most parameters a path adds
     */
    public long[] range() {
        long fewest = 0;
        long most = 0;
        for (int gene = 0; gene < length(); gene++) {
            fewest += cost(gene, extreme(gene, 0, true));
            most += cost(gene, extreme(gene, 0, false));
        }
        return new long[] {fewest, most};
    }

    /**
     * A path spread over a parameter range: a budget drawn uniformly between {@code max(min,
     * cheapest path)} and {@code max}, the genes in random order, each uniform among the modes
     * whose extra cost over its cheapest still fits what is left of the budget. The path adds at
     * most {@code max} parameters (if the cheapest path does); it may fall short of {@code min}.
     *
     * @param min fewest parameters wanted
     * @param max most parameters allowed
     * @param random the source (one double, then ints)
     * @return the mode indices
     */
    public int[] withinBudget(long min, long max, RandomGenerator random) {
        int genes = length();
        int[] alleles = new int[genes];
        long base = 0;
        for (int gene = 0; gene < genes; gene++) {
            alleles[gene] = extreme(gene, 0, true);
            base += cost(gene, alleles[gene]);
        }
        long low = Math.max(min, base);
        long budget = low + (long) (random.nextDouble() * (max - low + 1)) - base;
        int[] order = new int[genes];
        for (int i = 0; i < genes; i++) {
            order[i] = i;
        }
        for (int i = genes - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] fits = new int[64];
        for (int gene : order) {
            long cheapest = cost(gene, alleles[gene]);
            int count = 0;
            for (int allele = 0; allele < alleles(gene); allele++) {
                if (cost(gene, allele) - cheapest <= budget) {
                    if (count == fits.length) {
                        fits = Arrays.copyOf(fits, 2 * count);
                    }
                    fits[count++] = allele;
                }
            }
            int chosen = fits[random.nextInt(count)];
            budget -= cost(gene, chosen) - cheapest;
            alleles[gene] = chosen;
        }
        return alleles;
    }

    /**
     * @param alleles mode indices
     * @return the configuration they encode
     */
    public SubnetConfig decode(int[] alleles) {
        Map<String, LayerConfig> config = new LinkedHashMap<>();
        for (int l = 0; l < layers.size(); l++) {
            Map<Term, Mode> layer = new EnumMap<>(Term.class);
            for (int t = 0; t < TERMS.length; t++) {
                layer.put(TERMS[t], modes.get(TERMS[t]).get(alleles[l * TERMS.length + t]));
            }
            config.put(layers.get(l).path(), LayerConfig.of(layer));
        }
        return new SubnetConfig(config);
    }
}
