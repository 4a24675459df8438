package dev.glora.search;

import io.jenetics.Genotype;
import io.jenetics.IntegerGene;
import io.jenetics.Phenotype;
import io.jenetics.engine.Constraint;
import io.jenetics.util.Factory;
import io.jenetics.util.RandomRegistry;
import java.util.random.RandomGenerator;

/**
 * The search's parameter limits as a Jenetics {@link Constraint}: an individual is valid when the
 * trainable parameters its configuration adds lie within {@code [minParams, maxParams]}. The repair
 * is the one the search applies to random draws; offspring over the limit are not repaired but
 * rejected (the reference's rejection sampling). {@link #spread()} draws a first generation spread
 * over the allowed range instead. Random numbers come from {@link RandomRegistry#random()}.
 *
 * @param <C> the fitness type
 */
public final class ParameterLimit<C extends Comparable<? super C>>
        implements Constraint<IntegerGene, C> {

    private final Encoding encoding;
    private final long min;
    private final long max;

    /**
     * @param encoding the genotypes' encoding
     * @param min fewest parameters allowed
     * @param max most parameters allowed, or -1 for no limit
     */
    public ParameterLimit(Encoding encoding, long min, long max) {
        this.encoding = encoding;
        this.min = min;
        this.max = max;
    }

    /**
     * @param parameters a configuration's trainable parameters
     * @return whether the limits allow it
     */
    boolean allows(long parameters) {
        return parameters >= min && (max < 0 || parameters <= max);
    }

    @Override
    public boolean test(Phenotype<IntegerGene, C> individual) {
        return allows(encoding.parameters(individual.genotype()));
    }

    /**
     * Moves an individual inside the limits: genes picked at random are set to their cheapest mode
     * while it adds too many, or to their costliest while it adds too few; at most four steps per
     * gene, so a limit no configuration near it can meet leaves it outside (and the test fails).
     */
    @Override
    public Phenotype<IntegerGene, C> repair(Phenotype<IntegerGene, C> individual, long generation) {
        return Phenotype.of(repair(individual.genotype(), RandomRegistry.random()), generation);
    }

    private Genotype<IntegerGene> repair(Genotype<IntegerGene> genotype, RandomGenerator random) {
        Genes genes = new Genes(genotype);
        long total = encoding.parameters(genotype);
        for (int step = 0; step < 4 * genes.length() && !allows(total); step++) {
            int gene = random.nextInt(genes.length());
            int current = genes.get(gene).intValue();
            int next = encoding.costs().extreme(gene, current, max >= 0 && total > max);
            total += encoding.cost(gene, next) - encoding.cost(gene, current);
            genes.set(gene, genes.get(gene).newInstance(next));
        }
        return genes.genotype();
    }

    /**
     * Random individuals spread over the allowed range: a budget uniform between the limits, the
     * genes in random order, each uniform among the modes whose extra cost over its cheapest still
     * fits what is left of the budget (then repaired up to the minimum if it fell short). Without a
     * maximum there is no range to spread over, and this draws as the codec does.
     *
     * @return the factory
     */
    public Factory<Genotype<IntegerGene>> spread() {
        if (max < 0) {
            return encoding.codec().encoding();
        }
        return () -> {
            RandomGenerator random = RandomRegistry.random();
            return repair(
                    encoding.genotype(encoding.costs().withinBudget(min, max, random)), random);
        };
    }
}
