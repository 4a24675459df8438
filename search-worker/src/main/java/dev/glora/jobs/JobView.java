package dev.glora.jobs;

import java.time.Instant;

/**
 * A job as stored.
 *
 * @param id its id
 * @param name its label
 * @param spec the spec as submitted with defaults filled in, JSON
 * @param seed its seed
 * @param status where it stands
 * @param error why it failed, or null
 * @param epochsDone supernet epochs finished
 * @param epochsTotal supernet epochs in all
 * @param generationsDone generations finished
 * @param generationsTotal generations in all
 * @param candidatesEvaluated candidates evaluated so far
 * @param bestAccuracy best validation accuracy so far, or null
 * @param bestParameters trainable parameters of the best so far, or null
 * @param testAccuracy test accuracy of the chosen subnet, once exported, or null
 * @param createdAt submitted
 * @param startedAt first claimed by a worker, or null
 * @param finishedAt reached a terminal status, or null
 * @param updatedAt last changed
 * @param backboneArchitecture the backbone's architecture name when submitted, or null
 * @param baselineTestAccuracy test accuracy of the job's LoRA baseline, once trained, or null
 */
public record JobView(
        long id,
        String name,
        String spec,
        long seed,
        JobStatus status,
        String error,
        int epochsDone,
        int epochsTotal,
        int generationsDone,
        int generationsTotal,
        int candidatesEvaluated,
        Double bestAccuracy,
        Long bestParameters,
        Double testAccuracy,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt,
        String backboneArchitecture,
        Double baselineTestAccuracy) {

    /**
     * @return the fraction of the work done, in [0, 1]: training and search weighted equally
     */
    public double progress() {
        if (status == JobStatus.SUCCEEDED) {
            return 1;
        }
        double training = epochsTotal == 0 ? 1 : (double) epochsDone / epochsTotal;
        double search = generationsTotal == 0 ? 1 : (double) generationsDone / generationsTotal;
        return Math.min(1, 0.5 * training + 0.5 * search);
    }
}
