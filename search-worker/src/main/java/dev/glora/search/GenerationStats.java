package dev.glora.search;

/**
 * One generation, as {@code generations.jsonl} records it.
 *
 * @param generation 0-based generation
 * @param best best validation accuracy in the generation
 * @param mean mean validation accuracy in the generation
 * @param worst worst validation accuracy in the generation
 * @param bestParameters trainable parameters of the generation's best
 * @param bestSoFar best validation accuracy of every candidate so far
 * @param evaluated candidates evaluated so far in the search
 * @param seconds wall time of the generation
 * @param raced candidates of the generation that racing stopped early
 */
public record GenerationStats(
        int generation,
        double best,
        double mean,
        double worst,
        long bestParameters,
        double bestSoFar,
        int evaluated,
        double seconds,
        int raced) {}
