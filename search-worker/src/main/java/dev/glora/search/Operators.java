package dev.glora.search;

import io.jenetics.Genotype;
import io.jenetics.IntegerGene;
import java.util.random.RandomGenerator;

/**
 * The genetic operators of the reference search, on Jenetics genotypes of an {@link Encoding}:
 * mutation re-draws each gene independently with a probability; crossover takes each gene from
 * either parent with probability one half (per-gene uniform crossover across all layers).
 */
public final class Operators {

    private final Encoding encoding;

    /** @param encoding the encoding the genotypes follow */
    public Operators(Encoding encoding) {
        this.encoding = encoding;
    }

    /**
     * @param parent the parent
     * @param probability the chance that a gene is re-drawn (uniformly over its modes; a re-draw
     *     may return the same mode)
     * @param random the source
     * @return the mutant
     */
    public Genotype<IntegerGene> mutate(Genotype<IntegerGene> parent, double probability, RandomGenerator random) {
        int[] alleles = Encoding.alleles(parent);
        for (int i = 0; i < alleles.length; i++) {
            if (random.nextDouble() < probability) {
                alleles[i] = random.nextInt(encoding.alleles(i));
            }
        }
        return encoding.genotype(alleles);
    }

    /**
     * @param mother one parent
     * @param father the other
     * @param random the source
     * @return a child taking each gene from either parent with probability one half
     */
    public Genotype<IntegerGene> crossover(Genotype<IntegerGene> mother, Genotype<IntegerGene> father,
            RandomGenerator random) {
        int[] a = Encoding.alleles(mother);
        int[] b = Encoding.alleles(father);
        for (int i = 0; i < a.length; i++) {
            if (random.nextBoolean()) {
                a[i] = b[i];
            }
        }
        return encoding.genotype(a);
    }

    /**
     * @param random the source
     * @return a genotype drawn uniformly, every gene independently
     */
    public Genotype<IntegerGene> random(RandomGenerator random) {
        return encoding.genotype(encoding.random(random));
    }
}
