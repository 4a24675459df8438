package dev.glora.search;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A second look at the search's best: its top candidates by validation accuracy scored again on a
 * larger list, and the best there chosen. A search selects on a small validation list (200 images:
 * one image is half a point), so its winner is partly the luckiest of hundreds of candidates (the
 * winner's curse); scoring the few best again on more images, once, costs little next to the search
 * and chooses by a better estimate.
 *
 * @param list the list the top candidates were scored on
 * @param ranked the top candidates, in the search's order, each with its accuracy on that list
 */
public record Reranking(String list, List<Ranked> ranked) {

    /**
     * @param candidate a top candidate of the search
     * @param accuracy its accuracy on the larger list
     */
    public record Ranked(Candidate candidate, double accuracy) {}

    /**
     * @param result a finished search
     * @param top how many of its best to score again
     * @param list the larger list's name, for the record
     * @param evaluator scores configurations on the larger list
     * @param encoding the search's encoding
     * @return the reranking
     */
    public static Reranking of(
            EvolutionarySearch.Result result,
            int top,
            String list,
            Evaluator evaluator,
            Encoding encoding) {
        if (top < 1) {
            throw new SearchException(
                    "the number of candidates to score again must be positive, got " + top);
        }
        List<Candidate> best =
                result.state().evaluated().stream()
                        .sorted(Candidate::compareBest)
                        .limit(top)
                        .toList();
        Evaluator.Score[] scores =
                evaluator.evaluate(
                        best.stream().map(c -> encoding.decode(c.alleles())).toList(),
                        Double.NEGATIVE_INFINITY);
        List<Ranked> ranked = new ArrayList<>();
        for (int i = 0; i < best.size(); i++) {
            ranked.add(new Ranked(best.get(i), scores[i].accuracy()));
        }
        return new Reranking(list, List.copyOf(ranked));
    }

    /**
     * @return the chosen candidate: the most accurate on the larger list; ties go to the search's
     *     order
     */
    public Candidate chosen() {
        return winner().candidate();
    }

    /**
     * @return the chosen candidate's accuracy on the larger list
     */
    public double chosenAccuracy() {
        return winner().accuracy();
    }

    private Ranked winner() {
        Ranked best = ranked.get(0);
        for (Ranked r : ranked) {
            if (r.accuracy() > best.accuracy()) {
                best = r;
            }
        }
        return best;
    }

    /**
     * @return the record in the best-config JSON: the list, and each candidate's two accuracies
     */
    Map<String, Object> summary() {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("list", list);
        summary.put("top", ranked.size());
        Ranked winner = winner();
        summary.put("validation_accuracy", winner.accuracy());
        List<Map<String, Object>> candidates = new ArrayList<>();
        for (Ranked r : ranked) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("search_validation_accuracy", r.candidate().accuracy());
            entry.put("validation_accuracy", r.accuracy());
            entry.put("trainable_parameters", r.candidate().parameters());
            entry.put("generation", r.candidate().generation());
            entry.put("chosen", r == winner);
            candidates.add(entry);
        }
        summary.put("candidates", candidates);
        return summary;
    }
}
