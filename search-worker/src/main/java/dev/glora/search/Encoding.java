package dev.glora.search;

import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.config.Term;
import dev.glora.supernet.glora.LayerShape;
import dev.glora.supernet.glora.PathCosts;
import io.jenetics.Genotype;
import io.jenetics.IntegerChromosome;
import io.jenetics.IntegerGene;
import io.jenetics.engine.InvertibleCodec;
import io.jenetics.util.RandomRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A configuration as a Jenetics genotype, and its {@link #codec() codec}: five {@link
 * IntegerChromosome}s, one per term A to E, each holding one gene per GLoRA layer in model order:
 * the index of the layer's mode in that term's list of {@link SearchSpace#modes(Term)} (so all
 * genes of a chromosome share a range, as Jenetics requires). The search's random draws and its
 * stored candidates follow the reference's flat gene order, {@code alleles[layer * 5 + term]}
 * ({@link Genes}), so its operators act on all layers and terms at once.
 */
public final class Encoding {

    private static final Term[] TERMS = Term.values();

    private final PathCosts costs;

    /**
     * @param layers the GLoRA layers, in model order
     * @param space the modes every term may take
     */
    public Encoding(List<LayerShape> layers, SearchSpace space) {
        this.costs = new PathCosts(layers, space);
    }

    /**
     * @return the genes' costs, and draws within a budget
     */
    public PathCosts costs() {
        return costs;
    }

    /**
     * @return genes per configuration: five per layer
     */
    public int length() {
        return costs.length();
    }

    /**
     * @param gene a gene index
     * @return how many modes that gene chooses from
     */
    public int alleles(int gene) {
        return costs.alleles(gene);
    }

    /**
     * @param alleles one mode index per gene
     * @return the genotype
     */
    public Genotype<IntegerGene> genotype(int[] alleles) {
        List<IntegerChromosome> chromosomes = new ArrayList<>();
        for (int t = 0; t < TERMS.length; t++) {
            IntegerGene[] genes = new IntegerGene[costs.layers().size()];
            int count = costs.modes(TERMS[t]).size();
            for (int l = 0; l < genes.length; l++) {
                genes[l] = IntegerGene.of(alleles[l * TERMS.length + t], 0, count);
            }
            chromosomes.add(IntegerChromosome.of(genes));
        }
        return Genotype.of(chromosomes);
    }

    /**
     * Configurations as Jenetics genotypes. Its factory draws every gene uniformly over its modes,
     * layer by layer, from {@link RandomRegistry#random()}, as {@link #random} does.
     *
     * @return the codec
     */
    public InvertibleCodec<SubnetConfig, IntegerGene> codec() {
        return InvertibleCodec.of(
                () -> genotype(random(RandomRegistry.random())),
                genotype -> decode(alleles(genotype)),
                config -> genotype(encode(config)));
    }

    /**
     * @param genotype a genotype of this encoding
     * @return its mode indices
     */
    public static int[] alleles(Genotype<IntegerGene> genotype) {
        int terms = genotype.length();
        int layerCount = genotype.get(0).length();
        int[] alleles = new int[terms * layerCount];
        for (int t = 0; t < terms; t++) {
            for (int l = 0; l < layerCount; l++) {
                alleles[l * terms + t] = genotype.get(t).get(l).intValue();
            }
        }
        return alleles;
    }

    /**
     * @param random the source
     * @return mode indices drawn uniformly and independently for every gene
     */
    public int[] random(RandomGenerator random) {
        int[] alleles = new int[length()];
        for (int i = 0; i < alleles.length; i++) {
            alleles[i] = random.nextInt(alleles(i));
        }
        return alleles;
    }

    /**
     * @param alleles mode indices
     * @return the configuration they encode
     */
    public SubnetConfig decode(int[] alleles) {
        return costs.decode(alleles);
    }

    /**
     * @param config a configuration of every layer, within the space
     * @return its mode indices
     */
    public int[] encode(SubnetConfig config) {
        int[] alleles = new int[length()];
        List<LayerShape> layers = costs.layers();
        for (int l = 0; l < layers.size(); l++) {
            LayerConfig layer = config.layer(layers.get(l).path());
            for (int t = 0; t < TERMS.length; t++) {
                List<Mode> modes = costs.modes(TERMS[t]);
                int index = modes.indexOf(layer.mode(TERMS[t]));
                if (index < 0) {
                    throw new SearchException(
                            layers.get(l).path()
                                    + ": mode "
                                    + layer.mode(TERMS[t])
                                    + " of "
                                    + TERMS[t]
                                    + " is not in the search space "
                                    + modes);
                }
                alleles[l * TERMS.length + t] = index;
            }
        }
        return alleles;
    }

    /**
     * Trainable parameters a configuration adds (docs/GLORA.md §1; head excluded).
     *
     * @param alleles mode indices
     * @return the count
     */
    public long parameters(int[] alleles) {
        long total = 0;
        for (int i = 0; i < alleles.length; i++) {
            total += cost(i, alleles[i]);
        }
        return total;
    }

    /**
     * @param genotype a genotype of this encoding
     * @return the trainable parameters its configuration adds
     */
    public long parameters(Genotype<IntegerGene> genotype) {
        long total = 0;
        for (int t = 0; t < genotype.length(); t++) {
            for (int l = 0; l < genotype.get(t).length(); l++) {
                total += cost(l * TERMS.length + t, genotype.get(t).get(l).intValue());
            }
        }
        return total;
    }

    /**
     * @param gene a gene index
     * @param allele one of its mode indices
     * @return the trainable parameters that mode adds to that layer's term
     */
    public long cost(int gene, int allele) {
        return costs.cost(gene, allele);
    }

    /**
     * @return the fewest and the most parameters any configuration of this space adds
     */
    public long[] parameterRange() {
        return costs.range();
    }

    /**
     * @param alleles mode indices
     * @return a compact key, equal for equal configurations
     */
    public static String key(int[] alleles) {
        StringBuilder key = new StringBuilder(alleles.length);
        for (int allele : alleles) {
            key.append((char) ('0' + allele));
        }
        return key.toString();
    }

    /**
     * @return the layer shapes, in model order
     */
    public List<LayerShape> layers() {
        return new ArrayList<>(costs.layers());
    }
}
