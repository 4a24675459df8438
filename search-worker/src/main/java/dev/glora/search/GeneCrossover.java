package dev.glora.search;

import io.jenetics.Alterer;
import io.jenetics.AltererResult;
import io.jenetics.IntegerGene;
import io.jenetics.Phenotype;
import io.jenetics.util.MSeq;
import io.jenetics.util.RandomRegistry;
import io.jenetics.util.Seq;
import java.util.random.RandomGenerator;

/**
 * The reference search's crossover as a Jenetics {@link Alterer}: individuals 0 and 1 (then 2 and
 * 3, …) swap each gene with probability one half, across every layer and term. Jenetics' {@code
 * UniformCrossover} recombines one chromosome (here: one term) per pair; the reference draws every
 * gene of the configuration. The first child of a pair is the reference's child: the first parent's
 * genes, each replaced by the second's with probability one half. Random numbers come from {@link
 * RandomRegistry#random()}, layer by layer.
 *
 * @param <C> the fitness type
 */
public final class GeneCrossover<C extends Comparable<? super C>>
        implements Alterer<IntegerGene, C> {

    @Override
    public AltererResult<IntegerGene, C> alter(
            Seq<Phenotype<IntegerGene, C>> population, long generation) {
        RandomGenerator random = RandomRegistry.random();
        MSeq<Phenotype<IntegerGene, C>> altered = MSeq.of(population);
        int swaps = 0;
        for (int i = 0; i + 1 < altered.size(); i += 2) {
            Genes first = new Genes(altered.get(i).genotype());
            Genes second = new Genes(altered.get(i + 1).genotype());
            for (int g = 0; g < first.length(); g++) {
                if (random.nextBoolean()) {
                    IntegerGene gene = first.get(g);
                    first.set(g, second.get(g));
                    second.set(g, gene);
                    swaps++;
                }
            }
            altered.set(i, Phenotype.of(first.genotype(), generation));
            altered.set(i + 1, Phenotype.of(second.genotype(), generation));
        }
        return new AltererResult<>(altered.toISeq(), swaps);
    }
}
