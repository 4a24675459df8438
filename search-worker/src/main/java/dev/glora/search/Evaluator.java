package dev.glora.search;

import dev.glora.supernet.config.SubnetConfig;
import java.util.List;

/**
 * Scores configurations: the search's only view of the supernet and the data. The local
 * implementation uses threads on this machine; a distributed one hands the configurations to
 * workers. Implementations must be deterministic: the same configuration and threshold always get
 * the same score, whoever computes it.
 */
public interface Evaluator {

    /**
     * A configuration's validation accuracy.
     *
     * @param accuracy accuracy on the images scored
     * @param complete whether every validation image was scored; false when racing stopped it
     *     early, which happens only when it could not beat the threshold it was given
     */
    record Score(double accuracy, boolean complete) {}

    /**
     * @param configs configurations to score
     * @param mustBeat the accuracy a candidate must beat to matter (the search's current k-th
     *     best); an evaluator that races may stop a candidate early against it. Negative infinity
     *     turns racing off.
     * @return the score of each, in order
     */
    Score[] evaluate(List<SubnetConfig> configs, double mustBeat);
}
