package dev.glora.search;

import dev.glora.supernet.InvalidSettingsException;
import dev.glora.supernet.config.Choice;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of one search (the reference's defaults: population 50, 20 generations, top 10 kept as
 * parents, 25 mutants with each gene re-drawn with probability 0.2, 25 crossovers).
 *
 * @param population candidates per generation
 * @param generations generations, the random first one included
 * @param topK parents kept for the next generation
 * @param mutations mutants per generation
 * @param crossovers crossover children per generation
 * @param mutationProbability chance that a mutant re-draws each gene
 * @param maxParams most trainable parameters a candidate may add (head excluded), or -1
 * @param minParams fewest trainable parameters a candidate may add
 * @param objective what the parents are chosen by
 * @param seed the seed of every random choice
 * @param init how the random candidates (the first generation, and any shortfall later) are drawn
 *     under a parameter limit
 * @param seeds which known adapters open the first generation, before any random draw
 */
public record SearchSettings(
        int population,
        int generations,
        int topK,
        int mutations,
        int crossovers,
        double mutationProbability,
        long maxParams,
        long minParams,
        Objective objective,
        long seed,
        Init init,
        Seeds seeds) {

    /**
     * Settings with no known adapters seeded ({@link Seeds#NONE}: the reference's first
     * generation).
     */
    public SearchSettings(
            int population,
            int generations,
            int topK,
            int mutations,
            int crossovers,
            double mutationProbability,
            long maxParams,
            long minParams,
            Objective objective,
            long seed,
            Init init) {
        this(
                population,
                generations,
                topK,
                mutations,
                crossovers,
                mutationProbability,
                maxParams,
                minParams,
                objective,
                seed,
                init,
                Seeds.NONE);
    }

    /** Settings with the reference's way of drawing random candidates ({@link Init#REPAIR}). */
    public SearchSettings(
            int population,
            int generations,
            int topK,
            int mutations,
            int crossovers,
            double mutationProbability,
            long maxParams,
            long minParams,
            Objective objective,
            long seed) {
        this(
                population,
                generations,
                topK,
                mutations,
                crossovers,
                mutationProbability,
                maxParams,
                minParams,
                objective,
                seed,
                Init.REPAIR);
    }

    /** How a random candidate is drawn when a parameter limit applies. */
    public enum Init implements Choice {
        /**
         * Every gene uniformly, then genes picked at random set to their cheapest mode until the
         * candidate fits: under a tight limit the draws pile up just under it.
         */
        REPAIR,
        /**
         * A budget drawn uniformly between the limits, then the genes in random order, each
         * uniformly among the modes that still fit the budget: candidates spread over the range.
         */
        BUDGET
    }

    /** Which known adapters open the first generation ({@link KnownAdapters}). */
    public enum Seeds implements Choice {
        /** None: the first generation is all random draws, as the reference's. */
        NONE,
        /**
         * The known adapters that fit the limits: plain LoRA on every {@code attn.qkv} at each rank
         * of the space, LoRA on every linear layer at each rank, all-vector and all-constant.
         */
        KNOWN;

        /**
         * @param label a name, any case
         * @return the set
         * @throws IllegalArgumentException naming the allowed values
         */
        public static Seeds parse(String label) {
            return Choice.parse(Seeds.class, label);
        }
    }

    /** What the search optimises. */
    public enum Objective implements Choice {
        /** Validation accuracy; parents are the top-k so far. */
        ACCURACY,
        /** NSGA-II on (accuracy up, parameters down); parents by front, then crowding distance. */
        PARETO
    }

    /** Checks every value ({@link #problems}). */
    public SearchSettings {
        seeds = seeds == null ? Seeds.NONE : seeds;
        List<InvalidSettingsException.Problem> problems =
                problems(
                        population,
                        generations,
                        topK,
                        mutations,
                        crossovers,
                        mutationProbability,
                        maxParams,
                        minParams);
        if (!problems.isEmpty()) {
            throw new InvalidSettingsException(problems);
        }
    }

    /** The largest population and generation count a search accepts. */
    public static final int MAX_POPULATION = 10_000;

    /**
     * Every rule of a search's settings, in the one place the constructor, a job's spec ({@code
     * search.*}) and {@code glora search} take them from.
     *
     * @return the broken rules, under the names a job's spec uses; empty when all hold
     */
    public static List<InvalidSettingsException.Problem> problems(
            int population,
            int generations,
            int topK,
            int mutations,
            int crossovers,
            double mutationProbability,
            long maxParams,
            long minParams) {
        List<InvalidSettingsException.Problem> p = new ArrayList<>();
        InvalidSettingsException.require(
                p,
                population >= 1 && population <= MAX_POPULATION,
                "population",
                "must be in [1, " + MAX_POPULATION + "], got " + population);
        InvalidSettingsException.require(
                p,
                generations >= 1 && generations <= MAX_POPULATION,
                "generations",
                "must be in [1, " + MAX_POPULATION + "], got " + generations);
        InvalidSettingsException.require(p, topK >= 1, "topK", "must be at least 1, got " + topK);
        InvalidSettingsException.require(
                p, mutations >= 0, "mutations", "must not be negative, got " + mutations);
        InvalidSettingsException.require(
                p, crossovers >= 0, "crossovers", "must not be negative, got " + crossovers);
        InvalidSettingsException.require(
                p,
                (long) mutations + crossovers <= population,
                "mutations",
                "mutations + crossovers ("
                        + ((long) mutations + crossovers)
                        + ") must not exceed the population ("
                        + population
                        + ")");
        InvalidSettingsException.require(
                p,
                mutationProbability >= 0 && mutationProbability <= 1,
                "mutationProbability",
                "must be in [0, 1], got " + mutationProbability);
        InvalidSettingsException.require(
                p, minParams >= 0, "minParams", "must not be negative, got " + minParams);
        InvalidSettingsException.require(
                p,
                maxParams == -1 || maxParams >= minParams,
                "maxParams",
                "must be -1 (no limit) or at least minParams ("
                        + minParams
                        + "), got "
                        + maxParams);
        return p;
    }

    /**
     * @param seed the seed
     * @return the reference's defaults, no parameter limit
     */
    public static SearchSettings defaults(long seed) {
        return new SearchSettings(
                DEFAULT_POPULATION,
                DEFAULT_GENERATIONS,
                DEFAULT_TOP_K,
                DEFAULT_MUTATIONS,
                DEFAULT_CROSSOVERS,
                DEFAULT_MUTATION_PROBABILITY,
                -1,
                0,
                Objective.ACCURACY,
                seed);
    }

    // the reference's defaults, in the one place both glora search and a job's spec take them from
    // (constants, so that picocli's annotations can name them)
    /** Candidates per generation. */
    public static final int DEFAULT_POPULATION = 50;

    /** Generations. */
    public static final int DEFAULT_GENERATIONS = 20;

    /** Parents kept. */
    public static final int DEFAULT_TOP_K = 10;

    /** Mutants per generation at the default population: {@link #offspring}'s half. */
    public static final int DEFAULT_MUTATIONS = 25;

    /** Crossovers per generation at the default population: {@link #offspring}'s half. */
    public static final int DEFAULT_CROSSOVERS = 25;

    /**
     * The mutants, and as many crossovers, a generation of {@code population} breeds when the user
     * names neither: half the population each, the reference's 25 + 25 of 50, so that a population
     * given alone is never refused for its defaults.
     *
     * @param population candidates per generation
     * @return the mutants (and the crossovers) per generation
     */
    public static int offspring(int population) {
        return Math.max(0, population / 2);
    }

    /** Per-gene re-draw chance of a mutation. */
    public static final double DEFAULT_MUTATION_PROBABILITY = 0.2;

    /**
     * The seed set of a job and of {@code glora search} that name none: the known adapters (issue
     * 30: on the tasks measured the seeded search's own choice narrowed the gap to the job's LoRA
     * baseline most, finalists less; BENCHMARKS.md "Against the job's own LoRA baseline"). {@code
     * none} is the reference's search, draw for draw.
     */
    public static final String DEFAULT_SEEDS_LABEL = "known";

    /** {@link #DEFAULT_SEEDS_LABEL} as the enum. */
    public static final Seeds DEFAULT_SEEDS = Seeds.parse(DEFAULT_SEEDS_LABEL);

    /**
     * The finalists by the proxy of a job and of {@code glora search} that name none: 0, the
     * proxy's best is the choice (issue 30: finalists, at 8 of 5 epochs each, did not beat the
     * seeded search's own choice against an equal-budget LoRA on the tasks measured).
     */
    public static final int DEFAULT_FINALISTS = 0;

    /** A finalist's short-training epochs when finalists are asked for. */
    public static final int FINALIST_EPOCHS = 5;

    /**
     * @return every value in one line, to tell whether a saved state belongs to this search
     */
    public String fingerprint() {
        return "population="
                + population
                + " generations="
                + generations
                + " top_k="
                + topK
                + " mutations="
                + mutations
                + " crossovers="
                + crossovers
                + " mutation_prob="
                + mutationProbability
                + " max_params="
                + maxParams
                + " min_params="
                + minParams
                + " objective="
                + objective
                + " seed="
                + seed
                + (init == Init.REPAIR ? "" : " init=" + init)
                + (seeds == Seeds.NONE ? "" : " seeds=" + seeds.label());
    }
}
