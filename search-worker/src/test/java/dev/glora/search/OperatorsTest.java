package dev.glora.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import io.jenetics.Genotype;
import io.jenetics.IntegerGene;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The genetic operators, tested statistically: thousands of draws with a fixed seed. */
class OperatorsTest {

    private static final int DRAWS = 20_000;

    private final Encoding encoding = new Encoding(Supernet.layerShapes(TinyModels.tinyArch()), SearchSpace.ofRanks(4, 2));
    private final Operators operators = new Operators(encoding);

    @Test
    void mutationRedrawsEachGeneWithTheSetProbability() {
        SplittableRandom random = new SplittableRandom(1);
        double p = 0.2;
        long[] changed = new long[encoding.length()];
        for (int n = 0; n < DRAWS; n++) {
            int[] parent = encoding.random(random);
            int[] child = Encoding.alleles(operators.mutate(encoding.genotype(parent), p, random));
            for (int i = 0; i < child.length; i++) {
                changed[i] += child[i] != parent[i] ? 1 : 0;
            }
        }
        for (int i = 0; i < changed.length; i++) {
            // a re-draw keeps the old mode with chance 1/k, so a gene changes with p (1 - 1/k)
            double expected = p * (1 - 1.0 / encoding.alleles(i));
            double observed = (double) changed[i] / DRAWS;
            assertEquals(expected, observed, 4 * Math.sqrt(expected * (1 - expected) / DRAWS), "gene " + i);
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
            int[] child = Encoding.alleles(operators.crossover(encoding.genotype(mother), encoding.genotype(father), random));
            for (int i = 0; i < child.length; i++) {
                assertTrue(child[i] == mother[i] || child[i] == father[i], "gene " + i + " invented a mode");
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
            Genotype<IntegerGene> genotype = operators.random(random);
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
            assertEquals(Supernet.parameterCount(TinyModels.tinyArch(), config), encoding.parameters(alleles));
            assertEquals(Encoding.key(alleles), Encoding.key(Encoding.alleles(encoding.genotype(alleles))));
        }
    }
}
