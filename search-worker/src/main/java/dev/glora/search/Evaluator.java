package dev.glora.search;

import dev.glora.supernet.config.SubnetConfig;
import java.util.List;

/**
 * Scores configurations: the search's only view of the supernet and the data. The local
 * implementation uses threads on this machine; a distributed one hands the configurations to
 * workers. Implementations must be deterministic: the same configuration always gets the same
 * accuracy, whoever computes it.
 */
public interface Evaluator {

    /**
     * @param configs configurations to score
     * @return the validation accuracy of each, in order
     */
    double[] evaluate(List<SubnetConfig> configs);
}
