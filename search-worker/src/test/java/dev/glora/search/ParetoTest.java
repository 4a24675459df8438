package dev.glora.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The sweep's front is exactly the set of candidates that no other dominates, ties included. */
class ParetoTest {

    private static List<Candidate> bruteForceFront(List<Candidate> candidates) {
        List<Candidate> front = new ArrayList<>();
        for (Candidate c : candidates) {
            if (candidates.stream().noneMatch(other -> other.dominates(c))) {
                front.add(c);
            }
        }
        front.sort(Comparator.comparingLong(Candidate::parameters).thenComparing(Candidate::key));
        return front;
    }

    @Test
    void theSweepFindsWhatPairwiseComparisonFindsOnRandomCandidatesWithTies() {
        SplittableRandom random = new SplittableRandom(3);
        for (int round = 0; round < 200; round++) {
            List<Candidate> candidates = new ArrayList<>();
            int n = 1 + random.nextInt(60);
            for (int i = 0; i < n; i++) {
                // few distinct values, so that equal parameters and equal accuracies are common
                candidates.add(
                        new Candidate(
                                "k" + round + "-" + i,
                                new int[0],
                                100L * random.nextInt(8),
                                random.nextInt(6) / 5.0,
                                0,
                                true));
            }
            List<Candidate> rest = new ArrayList<>(candidates);
            List<List<Candidate>> fronts = Pareto.fronts(candidates);
            assertEquals(bruteForceFront(candidates), Pareto.front(candidates), "round " + round);
            for (List<Candidate> front : fronts) {
                assertEquals(bruteForceFront(rest), front, "round " + round);
                rest.removeAll(front);
            }
            assertEquals(0, rest.size());
        }
    }
}
