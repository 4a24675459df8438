package dev.glora.search;

import io.jenetics.AltererResult;
import io.jenetics.Genotype;
import io.jenetics.IntegerGene;
import io.jenetics.Mutator;
import io.jenetics.MutatorResult;
import io.jenetics.Phenotype;
import io.jenetics.util.MSeq;
import io.jenetics.util.RandomRegistry;
import io.jenetics.util.Seq;
import java.util.random.RandomGenerator;

/**
 * The reference search's mutation as a Jenetics {@link Mutator}: every gene of every individual is
 * re-drawn, uniformly over its modes, with the mutation probability (a re-draw may return the same
 * mode). Jenetics' own mutator spreads the probability over individual, chromosome and gene (its
 * cube root at each level); the reference applies it to each gene, so {@link #alter} does. Random
 * numbers come from {@link RandomRegistry#random()}, one gene after another, layer by layer.
 *
 * @param <C> the fitness type
 */
public final class ModeMutator<C extends Comparable<? super C>> extends Mutator<IntegerGene, C> {

    /**
     * @param probability the chance that a gene is re-drawn
     */
    public ModeMutator(double probability) {
        super(probability);
    }

    @Override
    public AltererResult<IntegerGene, C> alter(
            Seq<Phenotype<IntegerGene, C>> population, long generation) {
        RandomGenerator random = RandomRegistry.random();
        MSeq<Phenotype<IntegerGene, C>> altered = MSeq.of(population);
        int mutations = 0;
        for (int i = 0; i < altered.size(); i++) {
            MutatorResult<Genotype<IntegerGene>> mutant =
                    mutate(altered.get(i).genotype(), _probability, random);
            if (mutant.mutations() > 0) {
                altered.set(i, Phenotype.of(mutant.result(), generation));
                mutations += mutant.mutations();
            }
        }
        return new AltererResult<>(altered.toISeq(), mutations);
    }

    @Override
    protected MutatorResult<Genotype<IntegerGene>> mutate(
            Genotype<IntegerGene> genotype, double p, RandomGenerator random) {
        Genes genes = new Genes(genotype);
        int mutations = 0;
        for (int i = 0; i < genes.length(); i++) {
            if (random.nextDouble() < p) {
                genes.set(i, mutate(genes.get(i), random));
                mutations++;
            }
        }
        return new MutatorResult<>(mutations == 0 ? genotype : genes.genotype(), mutations);
    }

    @Override
    protected IntegerGene mutate(IntegerGene gene, RandomGenerator random) {
        return gene.newInstance(random.nextInt(gene.min(), gene.max()));
    }
}
