package dev.glora.supernet.glora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PathCostsTest {

    private static final VitArchitecture ARCH = TinyModels.tinyArch();
    private static final PathCosts COSTS =
            new PathCosts(Supernet.layerShapes(ARCH), SearchSpace.ofRanks(2, 1));

    private static long most() {
        return COSTS.range()[1];
    }

    @Test
    void aGenesCostIsWhatItsDecodedModeAddsToThatLayer() {
        int[] alleles = COSTS.withinBudget(0, most(), new SplittableRandom(3));
        long sum = 0;
        for (int gene = 0; gene < alleles.length; gene++) {
            sum += COSTS.cost(gene, alleles[gene]);
        }
        assertEquals(Supernet.parameterCount(ARCH, COSTS.decode(alleles)), sum);
    }

    @Test
    void itsRangeRunsFromEveryTermNoneToTheLargestModes() {
        try (Supernet supernet =
                Supernet.load(Supernet.fresh(VitInit.random(ARCH, 1), ARCH, 2, 1), "tiny")) {
            assertArrayEquals(
                    new long[] {
                        0,
                        Supernet.parameterCount(
                                ARCH, Trainees.allLora(supernet, SearchSpace.ofRanks(2, 1)))
                    },
                    COSTS.range());
        }
    }

    @Test
    void drawsWithinABudgetStayUnderItSpreadOverItsRangeAndRepeatForASeed() {
        long limit = most() / 3;
        SplittableRandom random = new SplittableRandom(7);
        long smallest = Long.MAX_VALUE;
        long largest = 0;
        for (int i = 0; i < 2000; i++) {
            long size =
                    Supernet.parameterCount(
                            ARCH, COSTS.decode(COSTS.withinBudget(0, limit, random)));
            assertTrue(size <= limit, size + " over " + limit);
            smallest = Math.min(smallest, size);
            largest = Math.max(largest, size);
        }
        assertTrue(
                smallest < limit / 10 && largest > 0.9 * limit,
                "sizes " + smallest + ".." + largest + " of " + limit);
        assertArrayEquals(
                COSTS.withinBudget(0, limit, new SplittableRandom(9)),
                COSTS.withinBudget(0, limit, new SplittableRandom(9)));
    }

    @Test
    void theRanksThatFollowALimitAreThePowerOfTwoWhoseLoraFitsAndItsHalfFromSixteenOn() {
        long perRank = Supernet.loraParameterCount(ARCH, 1);
        assertEquals(List.of(4, 2), Supernet.ranksWithin(ARCH, 4 * perRank), "rank 4 fits exactly");
        assertEquals(List.of(4, 2), Supernet.ranksWithin(ARCH, 8 * perRank - 1), "8 does not");
        assertEquals(List.of(8, 4), Supernet.ranksWithin(ARCH, 8 * perRank));
        assertEquals(
                List.of(16, 8), Supernet.ranksWithin(ARCH, 21 * perRank), "not 21: a power of two");
        assertEquals(List.of(2, 1), Supernet.ranksWithin(ARCH, 3 * perRank));
        assertEquals(List.of(1), Supernet.ranksWithin(ARCH, perRank));
        assertEquals(List.of(1), Supernet.ranksWithin(ARCH, 0), "rank 1 when even it is larger");
        assertEquals(List.of(256, 128), Supernet.ranksWithin(ARCH, Long.MAX_VALUE));
        // a job follows the limit from rank 16 on, and searches 4,2 below it (as measured)
        assertEquals(List.of(16, 8), Supernet.ranksFor(ARCH, 16 * perRank));
        assertEquals(List.of(32, 16), Supernet.ranksFor(ARCH, 40 * perRank));
        assertEquals(List.of(4, 2), Supernet.ranksFor(ARCH, 16 * perRank - 1), "8 is not followed");
        assertEquals(List.of(4, 2), Supernet.ranksFor(ARCH, 4 * perRank));
        assertEquals(List.of(4, 2), Supernet.ranksFor(ARCH, 0));
    }

    @Test
    void theEqualSizeLoraRankIsTheLargestWithinTheSizeAndOneBelowRankOne() {
        List<String> layers = Supernet.layerNames(ARCH);
        long perRank = Supernet.parameterCount(ARCH, SubnetConfig.lora(layers, 1));
        assertTrue(perRank > 0);
        assertEquals(
                2 * perRank,
                Supernet.parameterCount(ARCH, SubnetConfig.lora(layers, 2)),
                "LoRA on attn.qkv grows linearly with its rank");
        assertEquals(2 * perRank, Supernet.loraParameterCount(ARCH, 2));
        assertEquals(3, Supernet.loraRankWithin(ARCH, 3 * perRank), "exactly three ranks' worth");
        assertEquals(3, Supernet.loraRankWithin(ARCH, 4 * perRank - 1));
        assertEquals(
                1, Supernet.loraRankWithin(ARCH, perRank - 1), "rank 1 when even it is larger");
        assertEquals(256, Supernet.loraRankWithin(ARCH, Long.MAX_VALUE), "at most rank 256");
        // only attn.qkv adapts; every other layer stays frozen
        SubnetConfig lora = SubnetConfig.lora(layers, 2);
        lora.layers()
                .forEach(
                        (layer, config) ->
                                assertEquals(
                                        layer.endsWith("attn.qkv"),
                                        config.parameterCount(4, 4) > 0,
                                        layer));
    }
}
