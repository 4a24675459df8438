package dev.glora.search;

import dev.glora.supernet.config.SubnetConfig;
import io.jenetics.Genotype;
import io.jenetics.IntegerGene;
import io.jenetics.MonteCarloSelector;
import io.jenetics.Optimize;
import io.jenetics.Phenotype;
import io.jenetics.engine.Evolution;
import io.jenetics.engine.EvolutionDurations;
import io.jenetics.engine.EvolutionResult;
import io.jenetics.engine.EvolutionStart;
import io.jenetics.engine.EvolutionStream;
import io.jenetics.util.Factory;
import io.jenetics.util.ISeq;
import io.jenetics.util.RandomRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The evolutionary search of the GLoRA reference (docs/GLORA.md §3), no retraining: a random first
 * generation, then per generation mutants and crossover children of the best candidates so far,
 * topped up with random candidates when those run short.
 *
 * <p>With {@link SearchSettings.Seeds#KNOWN}, the first generation opens with the {@link
 * KnownAdapters known adapters} that fit the limits, then random draws fill it; each seeded
 * candidate carries its name ({@link Candidate#seed}). With {@code NONE} the search is the
 * reference's, draw for draw.
 *
 * <p>Parameter limits are checked before a candidate is evaluated; a configuration is evaluated at
 * most once per search. Every random choice of generation g comes from a generator seeded by (seed,
 * g), and the parents depend only on the candidates evaluated before, so a search resumed from its
 * last completed generation ends exactly as an uninterrupted one; and the evaluator's threads never
 * change a result.
 *
 * <p>It is built from Jenetics' parts: the {@link Encoding#codec() codec}, the {@link
 * ParameterLimit} constraint with its repair, a {@link MonteCarloSelector} for parents, the {@link
 * ModeMutator} and {@link GeneCrossover} alterers, all drawing from {@link RandomRegistry}, and it
 * runs as an {@link Evolution} function in an {@link EvolutionStream}, Jenetics' hook for
 * algorithms other than its {@code Engine}. The {@code Engine} is generational: it selects
 * survivors and offspring from the current population and evaluates whatever its alterers return.
 * The reference differs in three ways that decide its results: parents are the top k of every
 * candidate evaluated so far (an archive, not a population); a configuration is evaluated at most
 * once per search, so a child seen before is discarded and another drawn; and each generation holds
 * a set number of mutants and crossover children, made by rejection (children outside the limit are
 * discarded, not repaired) and topped up with repaired random draws. An {@code Engine} would
 * evaluate other candidates for the same seed. Scoring stays this package's {@link Evaluator}: it
 * races candidates against the k-th best so far, which Jenetics' {@code Evaluator} cannot be told.
 */
public final class EvolutionarySearch {

    private static final int ATTEMPTS_PER_CANDIDATE = 10;

    private final Encoding encoding;
    private final ParameterLimit<Double> limit;
    private final MonteCarloSelector<IntegerGene, Double> selector = new MonteCarloSelector<>();
    private final ModeMutator<Double> mutator;
    private final GeneCrossover<Double> crossover = new GeneCrossover<>();
    private final SearchSettings settings;
    private final List<KnownAdapters.Seed> seeds;

    /** The seeds of the generation being bred, by key. */
    private final Map<String, String> seedNames = new LinkedHashMap<>();

    /** Receives each completed generation. */
    public interface Listener {
        /**
         * @param stats the generation's statistics
         * @param population the candidates it evaluated
         * @param state everything needed to resume after it
         */
        void onGeneration(GenerationStats stats, List<Candidate> population, State state);
    }

    /**
     * What a search has done so far: enough to resume it.
     *
     * @param evaluated every evaluated candidate, in evaluation order
     * @param history one entry per completed generation
     */
    public record State(List<Candidate> evaluated, List<GenerationStats> history) {

        /** An empty state: nothing done yet. */
        public static final State EMPTY = new State(List.of(), List.of());
    }

    /**
     * @param best the best candidate (accuracy, then fewer parameters)
     * @param front the Pareto front of all evaluated candidates, fewest parameters first
     * @param state all candidates and the generation history
     */
    public record Result(Candidate best, List<Candidate> front, State state) {}

    /**
     * @param encoding how configurations map to genes
     * @param settings the search's settings
     */
    public EvolutionarySearch(Encoding encoding, SearchSettings settings) {
        this.encoding = encoding;
        this.limit = new ParameterLimit<>(encoding, settings.minParams(), settings.maxParams());
        this.mutator = new ModeMutator<>(settings.mutationProbability());
        this.settings = settings;
        this.seeds = KnownAdapters.of(encoding, settings);
        long[] range = encoding.parameterRange();
        if (settings.minParams() > range[1]) {
            throw new SearchException(
                    "--min-params "
                            + settings.minParams()
                            + " exceeds the most any configuration"
                            + " adds ("
                            + range[1]
                            + ")");
        }
    }

    /**
     * Runs (or resumes) the search.
     *
     * @param evaluator scores configurations
     * @param resume the state of an interrupted run of this search, or {@link State#EMPTY}
     * @param listener receives each generation
     * @return the result
     */
    public Result run(Evaluator evaluator, State resume, Listener listener) {
        Map<String, Candidate> evaluated = new LinkedHashMap<>();
        resume.evaluated().forEach(c -> evaluated.put(c.key(), c));
        List<GenerationStats> history = new ArrayList<>(resume.history());
        int remaining = settings.generations() - history.size();
        if (remaining > 0) {
            // Jenetics counts generations from 1; the stream hands each result's population and
            // generation + 1 to the next step, which breeds from everything evaluated so far
            Evolution<IntegerGene, Double> step =
                    start ->
                            generation(
                                    (int) start.generation() - 1,
                                    evaluator,
                                    evaluated,
                                    history,
                                    listener);
            EvolutionStream.ofEvolution(
                            () ->
                                    EvolutionStart.<IntegerGene, Double>of(
                                            ISeq.empty(), history.size() + 1),
                            step)
                    .limit(remaining)
                    .takeWhile(result -> !result.population().isEmpty())
                    .forEach(result -> {});
        }
        List<Candidate> all = new ArrayList<>(evaluated.values());
        if (all.isEmpty()) {
            throw new SearchException("no candidate was evaluated");
        }
        return new Result(
                all.stream().min(Candidate::compareBest).orElseThrow(),
                Pareto.front(all),
                new State(List.copyOf(all), List.copyOf(history)));
    }

    /** One generation: breed, evaluate, record; the population as Jenetics phenotypes. */
    private EvolutionResult<IntegerGene, Double> generation(
            int generation,
            Evaluator evaluator,
            Map<String, Candidate> evaluated,
            List<GenerationStats> history,
            Listener listener) {
        long start = System.nanoTime();
        Map<String, int[]> fresh = breed(generation, new ArrayList<>(evaluated.values()));
        List<Candidate> population = new ArrayList<>();
        if (!fresh.isEmpty()) {
            List<SubnetConfig> configs = fresh.values().stream().map(encoding::decode).toList();
            Evaluator.Score[] scores =
                    evaluator.evaluate(configs, bar(new ArrayList<>(evaluated.values())));
            int i = 0;
            for (Map.Entry<String, int[]> entry : fresh.entrySet()) {
                Evaluator.Score score = scores[i++];
                Candidate candidate =
                        new Candidate(
                                entry.getKey(),
                                entry.getValue(),
                                encoding.parameters(entry.getValue()),
                                score.accuracy(),
                                generation,
                                score.complete(),
                                seedNames.get(entry.getKey()));
                population.add(candidate);
                evaluated.put(candidate.key(), candidate);
            }
            Candidate best = population.stream().min(Candidate::compareBest).orElseThrow();
            Candidate bestSoFar =
                    evaluated.values().stream().min(Candidate::compareBest).orElseThrow();
            GenerationStats stats =
                    new GenerationStats(
                            generation,
                            best.accuracy(),
                            population.stream()
                                    .mapToDouble(Candidate::accuracy)
                                    .average()
                                    .orElse(0),
                            population.stream().mapToDouble(Candidate::accuracy).min().orElse(0),
                            best.parameters(),
                            bestSoFar.accuracy(),
                            evaluated.size(),
                            (System.nanoTime() - start) / 1e9,
                            (int) population.stream().filter(c -> !c.complete()).count());
            history.add(stats);
            listener.onGeneration(
                    stats,
                    population,
                    new State(List.copyOf(evaluated.values()), List.copyOf(history)));
        }
        ISeq<Phenotype<IntegerGene, Double>> phenotypes =
                population.stream()
                        .map(
                                c ->
                                        Phenotype.of(
                                                encoding.genotype(c.alleles()),
                                                generation + 1L,
                                                c.accuracy()))
                        .collect(ISeq.toISeq());
        return EvolutionResult.of(
                Optimize.MAXIMUM,
                phenotypes,
                generation + 1L,
                EvolutionDurations.ZERO,
                0,
                0,
                population.size());
    }

    /**
     * One generation's breeding, with Jenetics' parts: parents drawn by a {@link
     * MonteCarloSelector} from the best so far, the {@link ModeMutator} and {@link GeneCrossover},
     * the {@link ParameterLimit} (offspring outside it rejected, random draws repaired), all
     * drawing from one generator seeded by (seed, generation) through {@link RandomRegistry}.
     *
     * @param generation 0-based generation
     * @param evaluated every candidate evaluated before it
     * @return the new configurations of this generation, by key, none of them evaluated before
     */
    Map<String, int[]> breed(int generation, List<Candidate> evaluated) {
        seedNames.clear();
        return RandomRegistry.with(
                new SplittableRandom(settings.seed() * 0x9E3779B97F4A7C15L + generation),
                random -> breedFrom(generation, evaluated));
    }

    private Map<String, int[]> breedFrom(int generation, List<Candidate> evaluated) {
        Map<String, Candidate> seen = new LinkedHashMap<>();
        evaluated.forEach(c -> seen.put(c.key(), c));
        Map<String, int[]> fresh = new LinkedHashMap<>();
        if (generation == 0) {
            // the known adapters first, before any random draw (none: the reference's generation)
            for (KnownAdapters.Seed seed : seeds) {
                String key = Encoding.key(seed.alleles());
                if (!seen.containsKey(key) && fresh.size() < settings.population()) {
                    fresh.put(key, seed.alleles());
                    seedNames.put(key, seed.name());
                }
            }
        }
        if (generation > 0 && !evaluated.isEmpty()) {
            ISeq<Phenotype<IntegerGene, Double>> parents =
                    parents(evaluated).stream()
                            .map(
                                    c ->
                                            Phenotype.of(
                                                    encoding.genotype(c.alleles()),
                                                    c.generation(),
                                                    c.accuracy()))
                            .collect(ISeq.toISeq());
            for (int tries = settings.mutations() * ATTEMPTS_PER_CANDIDATE, made = 0;
                    made < settings.mutations() && tries > 0;
                    tries--) {
                ISeq<Phenotype<IntegerGene, Double>> parent =
                        selector.select(parents, 1, Optimize.MAXIMUM);
                made +=
                        offer(mutator.alter(parent, generation).population().get(0), seen, fresh)
                                ? 1
                                : 0;
            }
            for (int tries = settings.crossovers() * ATTEMPTS_PER_CANDIDATE, made = 0;
                    made < settings.crossovers() && tries > 0;
                    tries--) {
                ISeq<Phenotype<IntegerGene, Double>> couple =
                        selector.select(parents, 2, Optimize.MAXIMUM);
                made +=
                        offer(crossover.alter(couple, generation).population().get(0), seen, fresh)
                                ? 1
                                : 0;
            }
        }
        Factory<Genotype<IntegerGene>> draws =
                settings.init() == SearchSettings.Init.BUDGET
                        ? limit.spread()
                        : encoding.codec().encoding();
        for (int tries = settings.population() * ATTEMPTS_PER_CANDIDATE;
                fresh.size() < settings.population() && tries > 0;
                tries--) {
            Phenotype<IntegerGene, Double> draw = Phenotype.of(draws.newInstance(), generation);
            offer(limit.test(draw) ? draw : limit.repair(draw, generation), seen, fresh);
        }
        return fresh;
    }

    /**
     * @param evaluated every candidate so far
     * @return the accuracy a new candidate must beat to enter the top-k (the k-th best so far);
     *     negative infinity, turning racing off, before k candidates exist or when optimising the
     *     Pareto front (where a weak but small candidate still matters)
     */
    private double bar(List<Candidate> evaluated) {
        if (settings.objective() != SearchSettings.Objective.ACCURACY
                || evaluated.size() < settings.topK()) {
            return Double.NEGATIVE_INFINITY;
        }
        return evaluated.stream()
                .sorted(Candidate::compareBest)
                .skip(settings.topK() - 1)
                .findFirst()
                .orElseThrow()
                .accuracy();
    }

    private List<Candidate> parents(List<Candidate> evaluated) {
        if (settings.objective() == SearchSettings.Objective.PARETO) {
            return Pareto.select(evaluated, settings.topK());
        }
        return evaluated.stream().sorted(Candidate::compareBest).limit(settings.topK()).toList();
    }

    private boolean offer(
            Phenotype<IntegerGene, Double> child,
            Map<String, Candidate> seen,
            Map<String, int[]> fresh) {
        int[] alleles = Encoding.alleles(child.genotype());
        String key = Encoding.key(alleles);
        if (seen.containsKey(key)
                || fresh.containsKey(key)
                || !limit.allows(encoding.parameters(alleles))) {
            return false;
        }
        fresh.put(key, alleles);
        return true;
    }
}
