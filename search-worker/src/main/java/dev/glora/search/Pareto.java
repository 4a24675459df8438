package dev.glora.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Non-dominated sorting and crowding distance (NSGA-II) on (accuracy up, parameters down). */
public final class Pareto {

    private Pareto() {}

    /**
     * @param candidates candidates
     * @return the non-dominated ones, fewest parameters first
     */
    public static List<Candidate> front(List<Candidate> candidates) {
        return fronts(candidates).get(0);
    }

    /**
     * @param candidates candidates, at least one
     * @return the fronts of NSGA-II's non-dominated sorting, best first, each by parameters
     */
    public static List<List<Candidate>> fronts(List<Candidate> candidates) {
        List<List<Candidate>> fronts = new ArrayList<>();
        List<Candidate> rest = new ArrayList<>(candidates);
        while (!rest.isEmpty()) {
            List<Candidate> front = new ArrayList<>();
            for (Candidate c : rest) {
                if (rest.stream().noneMatch(other -> other.dominates(c))) {
                    front.add(c);
                }
            }
            front.sort(Comparator.comparingLong(Candidate::parameters).thenComparing(Candidate::key));
            fronts.add(front);
            rest.removeAll(front);
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
            sorted.sort(Comparator.comparingDouble((Candidate c) -> -crowding.get(c.key())).thenComparing(Candidate::key));
            chosen.addAll(sorted.subList(0, k - chosen.size()));
            break;
        }
        return chosen;
    }

    private static Map<String, Double> crowding(List<Candidate> front) {
        Map<String, Double> distance = new HashMap<>();
        front.forEach(c -> distance.put(c.key(), 0.0));
        List<ToDoubleFunction<Candidate>> objectives = List.of(Candidate::accuracy, c -> c.parameters());
        for (ToDoubleFunction<Candidate> objective : objectives) {
            List<Candidate> sorted = new ArrayList<>(front);
            sorted.sort(Comparator.comparingDouble(objective).thenComparing(Candidate::key));
            double low = objective.applyAsDouble(sorted.get(0));
            double high = objective.applyAsDouble(sorted.get(sorted.size() - 1));
            distance.put(sorted.get(0).key(), Double.POSITIVE_INFINITY);
            distance.put(sorted.get(sorted.size() - 1).key(), Double.POSITIVE_INFINITY);
            for (int i = 1; i < sorted.size() - 1 && high > low; i++) {
                double gap = (objective.applyAsDouble(sorted.get(i + 1)) - objective.applyAsDouble(sorted.get(i - 1)))
                        / (high - low);
                distance.merge(sorted.get(i).key(), gap, Double::sum);
            }
        }
        return distance;
    }
}
