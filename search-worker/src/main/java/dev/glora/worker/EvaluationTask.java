package dev.glora.worker;

import dev.glora.jobs.JobStore;
import dev.glora.search.Encoding;
import dev.glora.search.Evaluator;
import java.util.List;

/**
 * What an {@code EVALUATE} task carries through the queue's JSON columns, typed: the candidates'
 * alleles and the score a candidate must beat to be worth finishing (none when absent), and its
 * result, one score per candidate in the same order. The coordinator writes the payload and reads
 * the result ({@link QueueEvaluator}); any slot reads the payload and writes the result ({@link
 * CandidateEvaluation}).
 *
 * @param alleles each candidate's genes, as {@link Encoding} writes them
 * @param mustBeat the accuracy to beat, or {@code null} for none
 */
record EvaluationTask(List<int[]> alleles, Double mustBeat) {

    /** The task's result. @param scores one per candidate, in the payload's order */
    record Result(List<Evaluator.Score> scores) {

        static Result parse(String json) {
            return JobStore.gson().fromJson(json, Result.class);
        }

        String json() {
            return JobStore.gson().toJson(this);
        }
    }

    /**
     * @param alleles each candidate's genes
     * @param mustBeat the accuracy to beat; not finite for none
     * @return the payload
     */
    static EvaluationTask of(List<int[]> alleles, double mustBeat) {
        return new EvaluationTask(alleles, Double.isFinite(mustBeat) ? mustBeat : null);
    }

    static EvaluationTask parse(String json) {
        return JobStore.gson().fromJson(json, EvaluationTask.class);
    }

    String json() {
        return JobStore.gson().toJson(this);
    }

    /**
     * @return the accuracy to beat, negative infinity for none
     */
    double mustBeatOrNone() {
        return mustBeat == null ? Double.NEGATIVE_INFINITY : mustBeat;
    }
}
