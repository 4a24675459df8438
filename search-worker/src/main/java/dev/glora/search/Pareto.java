package dev.glora.search;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/** Non-dominated sorting and crowding distance (NSGA-II) on (accuracy up, parameters down). */
public final class Pareto {

    private Pareto() {}

    /** Fewest parameters first, then the most accurate, then the key. */
    private static final Comparator<Candidate> SWEEP =
            Comparator.comparingLong(Candidate::parameters)
                    .thenComparing(Comparator.comparingDouble(Candidate::accuracy).reversed())
                    .thenComparing(Candidate::key);

    /**
     * The non-dominated candidates in O(n log n): one sweep in order of parameters. A candidate is
     * on the front when it is the most accurate of those with its parameter count (ties all stay)
     * and more accurate than every candidate with fewer parameters.
     *
     * @param candidates candidates
     * @return the non-dominated ones, fewest parameters first (then by key)
     */
    public static List<Candidate> front(List<Candidate> candidates) {
        List<Candidate> sorted = new ArrayList<>(candidates);
        sorted.sort(SWEEP);
        return frontOfSorted(sorted);
    }

    private static List<Candidate> frontOfSorted(List<Candidate> sorted) {
        List<Candidate> front = new ArrayList<>();
        double bestWithFewer = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < sorted.size(); ) {
            long parameters = sorted.get(i).parameters();
            double groupBest = sorted.get(i).accuracy();
            int j = i;
            for (; j < sorted.size() && sorted.get(j).parameters() == parameters; j++) {
                Candidate c = sorted.get(j);
                if (c.accuracy() == groupBest && groupBest > bestWithFewer) {
                    front.add(c);
                }
            }
            bestWithFewer = Math.max(bestWithFewer, groupBest);
            i = j;
        }
        front.sort(Comparator.comparingLong(Candidate::parameters).thenComparing(Candidate::key));
        return front;
    }

    /**
     * @param candidates candidates, at least one
     * @return the fronts of NSGA-II's non-dominated sorting, best first, each by parameters
     */
    public static List<List<Candidate>> fronts(List<Candidate> candidates) {
        List<List<Candidate>> fronts = new ArrayList<>();
        List<Candidate> rest = new ArrayList<>(candidates);
        rest.sort(SWEEP);
        while (!rest.isEmpty()) {
            List<Candidate> front = frontOfSorted(rest);
            fronts.add(front);
            Set<Candidate> taken = Collections.newSetFromMap(new IdentityHashMap<>());
            taken.addAll(front);
            rest.removeIf(taken::contains);
        }
        return fronts;
    }

    /**
     * NSGA-II's choice of {@code k}: whole fronts in order, the last one cut by crowding distance
     * (the extremes first, then the most isolated).
     *
     * @param candidates candidates
     * @param k how many to keep
     * @return the chosen, best first
     */
    public static List<Candidate> select(List<Candidate> candidates, int k) {
        List<Candidate> chosen = new ArrayList<>();
        for (List<Candidate> front : fronts(candidates)) {
            if (chosen.size() + front.size() <= k) {
                chosen.addAll(front);
                continue;
            }
            Map<String, Double> crowding = crowding(front);
            List<Candidate> sorted = new ArrayList<>(front);
            sorted.sort(
                    Comparator.comparingDouble((Candidate c) -> -crowding.get(c.key()))
                            .thenComparing(Candidate::key));
            chosen.addAll(sorted.subList(0, k - chosen.size()));
            break;
        }
        return chosen;
    }

    private static Map<String, Double> crowding(List<Candidate> front) {
        Map<String, Double> distance = new HashMap<>();
        front.forEach(c -> distance.put(c.key(), 0.0));
        List<ToDoubleFunction<Candidate>> objectives =
                List.of(Candidate::accuracy, c -> c.parameters());
        for (ToDoubleFunction<Candidate> objective : objectives) {
            List<Candidate> sorted = new ArrayList<>(front);
            sorted.sort(Comparator.comparingDouble(objective).thenComparing(Candidate::key));
            double low = objective.applyAsDouble(sorted.get(0));
            double high = objective.applyAsDouble(sorted.get(sorted.size() - 1));
            distance.put(sorted.get(0).key(), Double.POSITIVE_INFINITY);
            distance.put(sorted.get(sorted.size() - 1).key(), Double.POSITIVE_INFINITY);
            for (int i = 1; i < sorted.size() - 1 && high > low; i++) {
                double gap =
                        (objective.applyAsDouble(sorted.get(i + 1))
                                        - objective.applyAsDouble(sorted.get(i - 1)))
                                / (high - low);
                distance.merge(sorted.get(i).key(), gap, Double::sum);
            }
        }
        return distance;
    }
}
