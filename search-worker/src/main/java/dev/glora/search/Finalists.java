package dev.glora.search;

import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.train.Retraining;
import dev.glora.supernet.train.Trainees;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The search's second fidelity (issue 30): the weight-sharing proxy ranks candidates by the
 * supernet's shared weights, which favours some paths over others regardless of what they can
 * learn; so the final choice is made among a few finalists, each trained briefly from the
 * supernet's weights with its modes fixed and scored on val. The finalists are every seeded known
 * adapter ({@link KnownAdapters}) and the best {@code count} other candidates by the proxy; the
 * winner is the best after the short training, ties going to the proxy's order.
 *
 * @param epochs the short training's epochs per finalist
 * @param trainList the list they trained on
 * @param ranked the finalists in the proxy's order, each with its short-trained accuracy
 */
public record Finalists(int epochs, String trainList, List<Finalist> ranked) {

    /**
     * @param candidate the finalist as the search scored it
     * @param accuracy its val accuracy after the short training
     */
    public record Finalist(Candidate candidate, double accuracy) {}

    /**
     * @param evaluated every candidate of a finished search
     * @param count how many of the best non-seed candidates by the proxy
     * @return the finalists to train, in the proxy's order: the best {@code count} non-seed
     *     candidates and every seed (so the number is known before the search ends: seeds that fit
     *     plus {@code count}); call it only with a {@code count} above 0 (none: the proxy's best)
     */
    public static List<Candidate> pick(List<Candidate> evaluated, int count) {
        List<Candidate> sorted = evaluated.stream().sorted(Candidate::compareBest).toList();
        List<Candidate> picked =
                new ArrayList<>(sorted.stream().filter(c -> c.seed() != null).toList());
        sorted.stream().filter(c -> c.seed() == null).limit(count).forEach(picked::add);
        return picked.stream().sorted(Candidate::compareBest).toList();
    }

    /**
     * @param trained a finalist's short training
     * @return its val accuracy after the last epoch (the fixed path's, as the training scored it)
     */
    public static double accuracyAfter(Retraining.Result trained) {
        List<EpochResult> history = trained.history();
        return history.get(history.size() - 1).validation().get(Trainees.FIXED);
    }

    /**
     * @return the winner: the best after the short training; ties go to the proxy's order
     */
    public Finalist winner() {
        if (ranked.isEmpty()) {
            throw new SearchException("no finalist was trained");
        }
        Finalist best = ranked.get(0);
        for (Finalist f : ranked) {
            if (f.accuracy() > best.accuracy()) {
                best = f;
            }
        }
        return best;
    }

    /**
     * @return the chosen candidate
     */
    public Candidate chosen() {
        return winner().candidate();
    }

    /**
     * @return the short-trained epochs of all finalists together (part of the pipeline's budget)
     */
    public int totalEpochs() {
        return epochs * ranked.size();
    }

    /**
     * @return the record in the best-config JSON: the settings, and every finalist's two accuracies
     */
    Map<String, Object> summary() {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("epochs", epochs);
        summary.put("train_list", trainList);
        summary.put("count", ranked.size());
        Finalist winner = winner();
        summary.put("validation_accuracy", winner.accuracy());
        List<Map<String, Object>> candidates = new ArrayList<>();
        for (Finalist f : ranked) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("proxy_validation_accuracy", f.candidate().accuracy());
            entry.put("validation_accuracy", f.accuracy());
            entry.put("trainable_parameters", f.candidate().parameters());
            entry.put("generation", f.candidate().generation());
            if (f.candidate().seed() != null) {
                entry.put("seed", f.candidate().seed());
            }
            entry.put("chosen", f == winner);
            candidates.add(entry);
        }
        summary.put("candidates", candidates);
        return summary;
    }
}
