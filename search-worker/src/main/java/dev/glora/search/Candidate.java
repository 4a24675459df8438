package dev.glora.search;

/**
 * One evaluated configuration.
 *
 * @param key the compact key of its mode indices ({@link Encoding#key})
 * @param alleles its mode indices
 * @param parameters trainable parameters it adds (head excluded)
 * @param accuracy its validation accuracy
 * @param generation the generation that first produced it
 * @param complete whether it was scored on every validation image (false: racing stopped it early,
 *     and its accuracy, on the images it saw, is below the bar it had to beat)
 * @param seed the name of the known adapter it was seeded as ({@link KnownAdapters}), or null for a
 *     candidate the search drew or bred
 */
public record Candidate(
        String key,
        int[] alleles,
        long parameters,
        double accuracy,
        int generation,
        boolean complete,
        String seed) {

    /** A candidate the search drew or bred (no seed). */
    public Candidate(
            String key,
            int[] alleles,
            long parameters,
            double accuracy,
            int generation,
            boolean complete) {
        this(key, alleles, parameters, accuracy, generation, complete, null);
    }

    /**
     * Better first: higher accuracy, then fewer parameters, then the key (so ties break the same
     * way on every run).
     *
     * @param other another candidate
     * @return negative when this one ranks first
     */
    public int compareBest(Candidate other) {
        int byAccuracy = Double.compare(other.accuracy, accuracy);
        if (byAccuracy != 0) {
            return byAccuracy;
        }
        int byParameters = Long.compare(parameters, other.parameters);
        return byParameters != 0 ? byParameters : key.compareTo(other.key);
    }

    /**
     * @param other another candidate
     * @return whether this one is at least as good in both objectives and better in one
     */
    public boolean dominates(Candidate other) {
        return accuracy >= other.accuracy
                && parameters <= other.parameters
                && (accuracy > other.accuracy || parameters < other.parameters);
    }
}
