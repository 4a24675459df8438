package dev.glora.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import io.jenetics.Genotype;
import io.jenetics.IntegerGene;
import io.jenetics.Phenotype;
import io.jenetics.util.ISeq;
import io.jenetics.util.RandomRegistry;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The search's Jenetics parts, the genetic operators tested statistically: thousands of draws with
 * a fixed seed, through {@link RandomRegistry} as the search draws them.
 */
class OperatorsTest {

    private static final int DRAWS = 20_000;

    private final Encoding encoding =
            new Encoding(Supernet.layerShapes(TinyModels.tinyArch()), SearchSpace.ofRanks(4, 2));
    private final ModeMutator<Double> mutator = new ModeMutator<>(0.2);
    private final GeneCrossover<Double> crossover = new GeneCrossover<>();

    private static Phenotype<IntegerGene, Double> individual(Genotype<IntegerGene> genotype) {
        return Phenotype.of(genotype, 0);
    }

    @Test
    void mutationRedrawsEachGeneWithTheSetProbability() {
        SplittableRandom random = new SplittableRandom(1);
        double p = 0.2;
        long[] changed = new long[encoding.length()];
        for (int n = 0; n < DRAWS; n++) {
            int[] parent = encoding.random(random);
            int[] child =
                    Encoding.alleles(
                            RandomRegistry.with(
                                            random,
                                            r ->
                                                    mutator.alter(
                                                            ISeq.of(
                                                                    individual(
                                                                            encoding.genotype(
                                                                                    parent))),
                                                            1))
                                    .population()
                                    .get(0)
                                    .genotype());
            for (int i = 0; i < child.length; i++) {
                changed[i] += child[i] != parent[i] ? 1 : 0;
            }
        }
        for (int i = 0; i < changed.length; i++) {
            // a re-draw keeps the old mode with chance 1/k, so a gene changes with p (1 - 1/k)
            double expected = p * (1 - 1.0 / encoding.alleles(i));
            double observed = (double) changed[i] / DRAWS;
            assertEquals(
                    expected,
                    observed,
                    4 * Math.sqrt(expected * (1 - expected) / DRAWS),
                    "gene " + i);
        }
    }

    @Test
    void crossoverTakesEachGeneFromEitherParentAboutHalfTheTimeAndInventsNothing() {
        SplittableRandom random = new SplittableRandom(2);
        long[] fromMother = new long[encoding.length()];
        long[] differing = new long[encoding.length()];
        for (int n = 0; n < DRAWS; n++) {
            int[] mother = encoding.random(random);
            int[] father = encoding.random(random);
            int[] child =
                    Encoding.alleles(
                            RandomRegistry.with(
                                            random,
                                            r ->
                                                    crossover.alter(
                                                            ISeq.of(
                                                                    individual(
                                                                            encoding.genotype(
                                                                                    mother)),
                                                                    individual(
                                                                            encoding.genotype(
                                                                                    father))),
                                                            1))
                                    .population()
                                    .get(0)
                                    .genotype());
            for (int i = 0; i < child.length; i++) {
                assertTrue(
                        child[i] == mother[i] || child[i] == father[i],
                        "gene " + i + " invented a mode");
                if (mother[i] != father[i]) {
                    differing[i]++;
                    fromMother[i] += child[i] == mother[i] ? 1 : 0;
                }
            }
        }
        for (int i = 0; i < differing.length; i++) {
            double share = (double) fromMother[i] / differing[i];
            assertEquals(0.5, share, 4 * Math.sqrt(0.25 / differing[i]), "gene " + i);
        }
    }

    @Test
    void randomCandidatesCoverEveryModeOfEveryLayerUniformly() {
        SplittableRandom random = new SplittableRandom(3);
        long[][] counts = new long[encoding.length()][];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new long[encoding.alleles(i)];
        }
        for (int n = 0; n < DRAWS; n++) {
            Genotype<IntegerGene> genotype =
                    RandomRegistry.with(random, r -> encoding.codec().encoding().newInstance());
            int[] alleles = Encoding.alleles(genotype);
            for (int i = 0; i < alleles.length; i++) {
                counts[i][alleles[i]]++;
            }
        }
        for (int i = 0; i < counts.length; i++) {
            double expected = (double) DRAWS / counts[i].length;
            double chiSquare = 0;
            for (long count : counts[i]) {
                chiSquare += (count - expected) * (count - expected) / expected;
            }
            // 99.9th percentile of chi-square with at most 4 degrees of freedom
            assertTrue(chiSquare < 18.5, "gene " + i + " chi-square " + chiSquare);
        }
    }

    @Test
    void encodingRoundTripsAndCountsParametersAsTheSupernetDoes() {
        SplittableRandom random = new SplittableRandom(4);
        for (int n = 0; n < 200; n++) {
            int[] alleles = encoding.random(random);
            SubnetConfig config = encoding.decode(alleles);
            assertEquals(Encoding.key(alleles), Encoding.key(encoding.encode(config)));
            assertEquals(
                    Supernet.parameterCount(TinyModels.tinyArch(), config),
                    encoding.parameters(alleles));
            assertEquals(
                    Encoding.key(alleles),
                    Encoding.key(Encoding.alleles(encoding.genotype(alleles))));
            Genotype<IntegerGene> genotype = encoding.codec().encode(config);
            assertTrue(genotype.isValid(), "every mode index lies in its gene's range");
            assertEquals(config, encoding.codec().decode(genotype));
            assertEquals(encoding.parameters(alleles), encoding.parameters(genotype));
        }
    }

    @Test
    void theParameterLimitRepairsARandomDrawUnderItsMaximumAndSpreadsDrawsOverItsRange() {
        long max = encoding.parameterRange()[1] / 10;
        long min = 0;
        ParameterLimit<Double> limit = new ParameterLimit<>(encoding, min, max);
        SplittableRandom random = new SplittableRandom(5);
        int outside = 0;
        for (int n = 0; n < 500; n++) {
            Phenotype<IntegerGene, Double> draw =
                    individual(
                            RandomRegistry.with(
                                    random, r -> encoding.codec().encoding().newInstance()));
            long before = encoding.parameters(draw.genotype());
            outside += limit.test(draw) ? 0 : 1;
            Phenotype<IntegerGene, Double> repaired =
                    RandomRegistry.with(random, r -> limit.repair(draw, 0));
            long after = encoding.parameters(repaired.genotype());
            assertTrue(
                    limit.test(repaired),
                    "repaired " + before + " -> " + after + ", not in [" + min + ", " + max + "]");
        }
        assertTrue(
                outside > 400, "most uniform draws lie outside a tenth of the range: " + outside);
        // a repair with a minimum as well may overshoot it and stop outside (the search then
        // rejects the draw); a spread draw starts inside
        ParameterLimit<Double> range = new ParameterLimit<>(encoding, max / 2, max);
        for (int n = 0; n < 500; n++) {
            Genotype<IntegerGene> spread =
                    RandomRegistry.with(random, r -> range.spread().newInstance());
            assertTrue(range.test(individual(spread)), "a spread draw lies in the range");
        }
    }
}
