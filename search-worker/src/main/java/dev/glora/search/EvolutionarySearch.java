package dev.glora.search;

import dev.glora.supernet.config.SubnetConfig;
import io.jenetics.Genotype;
import io.jenetics.IntegerGene;
import io.jenetics.Optimize;
import io.jenetics.Phenotype;
import io.jenetics.engine.Evolution;
import io.jenetics.engine.EvolutionDurations;
import io.jenetics.engine.EvolutionResult;
import io.jenetics.engine.EvolutionStart;
import io.jenetics.engine.EvolutionStream;
import io.jenetics.util.ISeq;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The evolutionary search of the GLoRA reference (GLORA.md §3), no retraining: a random first
 * generation, then per generation mutants and crossover children of the best candidates so far,
 * topped up with random candidates when those run short.
 *
 * <p>Parameter limits are checked before a candidate is evaluated; a configuration is evaluated
 * at most once per search. Every random choice of generation g comes from a generator seeded by
 * (seed, g), and the parents depend only on the candidates evaluated before, so a search resumed
 * from its last completed generation ends exactly as an uninterrupted one; and the evaluator's
 * threads never change a result.
 */
public final class EvolutionarySearch {

    private static final int ATTEMPTS_PER_CANDIDATE = 10;

    private final Encoding encoding;
    private final Operators operators;
    private final SearchSettings settings;

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
        this.operators = new Operators(encoding);
        this.settings = settings;
        long[] range = encoding.parameterRange();
        if (settings.minParams() > range[1]) {
            throw new SearchException("--min-params " + settings.minParams() + " exceeds the most any configuration"
                    + " adds (" + range[1] + ")");
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
            Evolution<IntegerGene, Double> step = start ->
                    generation((int) start.generation() - 1, evaluator, evaluated, history, listener);
            EvolutionStream.ofEvolution(() -> EvolutionStart.<IntegerGene, Double>of(ISeq.empty(), history.size() + 1),
                    step).limit(remaining).takeWhile(result -> !result.population().isEmpty()).forEach(result -> { });
        }
        List<Candidate> all = new ArrayList<>(evaluated.values());
        if (all.isEmpty()) {
            throw new SearchException("no candidate was evaluated");
        }
        return new Result(all.stream().min(Candidate::compareBest).orElseThrow(), Pareto.front(all),
                new State(List.copyOf(all), List.copyOf(history)));
    }

    /** One generation: breed, evaluate, record; the population as Jenetics phenotypes. */
    private EvolutionResult<IntegerGene, Double> generation(int generation, Evaluator evaluator,
            Map<String, Candidate> evaluated, List<GenerationStats> history, Listener listener) {
        long start = System.nanoTime();
        Map<String, int[]> fresh = breed(generation, new ArrayList<>(evaluated.values()));
        List<Candidate> population = new ArrayList<>();
        if (!fresh.isEmpty()) {
            List<SubnetConfig> configs = fresh.values().stream().map(encoding::decode).toList();
            Evaluator.Score[] scores = evaluator.evaluate(configs, bar(new ArrayList<>(evaluated.values())));
            int i = 0;
            for (Map.Entry<String, int[]> entry : fresh.entrySet()) {
                Evaluator.Score score = scores[i++];
                Candidate candidate = new Candidate(entry.getKey(), entry.getValue(),
                        encoding.parameters(entry.getValue()), score.accuracy(), generation, score.complete());
                population.add(candidate);
                evaluated.put(candidate.key(), candidate);
            }
            Candidate best = population.stream().min(Candidate::compareBest).orElseThrow();
            Candidate bestSoFar = evaluated.values().stream().min(Candidate::compareBest).orElseThrow();
            GenerationStats stats = new GenerationStats(generation, best.accuracy(),
                    population.stream().mapToDouble(Candidate::accuracy).average().orElse(0),
                    population.stream().mapToDouble(Candidate::accuracy).min().orElse(0), best.parameters(),
                    bestSoFar.accuracy(), evaluated.size(), (System.nanoTime() - start) / 1e9,
                    (int) population.stream().filter(c -> !c.complete()).count());
            history.add(stats);
            listener.onGeneration(stats, population, new State(List.copyOf(evaluated.values()), List.copyOf(history)));
        }
        ISeq<Phenotype<IntegerGene, Double>> phenotypes = population.stream()
                .map(c -> Phenotype.of(encoding.genotype(c.alleles()), generation + 1L, c.accuracy()))
                .collect(ISeq.toISeq());
        return EvolutionResult.of(Optimize.MAXIMUM, phenotypes, generation + 1L, EvolutionDurations.ZERO, 0, 0,
                population.size());
    }

    /**
     * @param generation 0-based generation
     * @param evaluated every candidate evaluated before it
     * @return the new configurations of this generation, by key, none of them evaluated before
     */
    Map<String, int[]> breed(int generation, List<Candidate> evaluated) {
        SplittableRandom random = new SplittableRandom(settings.seed() * 0x9E3779B97F4A7C15L + generation);
        Map<String, Candidate> seen = new LinkedHashMap<>();
        evaluated.forEach(c -> seen.put(c.key(), c));
        Map<String, int[]> fresh = new LinkedHashMap<>();
        if (generation > 0 && !evaluated.isEmpty()) {
            List<Genotype<IntegerGene>> parents = parents(evaluated).stream()
                    .map(c -> encoding.genotype(c.alleles())).toList();
            for (int tries = settings.mutations() * ATTEMPTS_PER_CANDIDATE, made = 0;
                    made < settings.mutations() && tries > 0; tries--) {
                Genotype<IntegerGene> parent = parents.get(random.nextInt(parents.size()));
                made += offer(operators.mutate(parent, settings.mutationProbability(), random), seen, fresh) ? 1 : 0;
            }
            for (int tries = settings.crossovers() * ATTEMPTS_PER_CANDIDATE, made = 0;
                    made < settings.crossovers() && tries > 0; tries--) {
                Genotype<IntegerGene> mother = parents.get(random.nextInt(parents.size()));
                Genotype<IntegerGene> father = parents.get(random.nextInt(parents.size()));
                made += offer(operators.crossover(mother, father, random), seen, fresh) ? 1 : 0;
            }
        }
        for (int tries = settings.population() * ATTEMPTS_PER_CANDIDATE; fresh.size() < settings.population()
                && tries > 0; tries--) {
            int[] draw = settings.init() == SearchSettings.Init.BUDGET && settings.maxParams() >= 0
                    ? budgeted(random) : repair(encoding.random(random), random);
            offer(encoding.genotype(draw), seen, fresh);
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
        if (settings.objective() != SearchSettings.Objective.ACCURACY || evaluated.size() < settings.topK()) {
            return Double.NEGATIVE_INFINITY;
        }
        return evaluated.stream().sorted(Candidate::compareBest).skip(settings.topK() - 1).findFirst().orElseThrow()
                .accuracy();
    }

    private List<Candidate> parents(List<Candidate> evaluated) {
        if (settings.objective() == SearchSettings.Objective.PARETO) {
            return Pareto.select(evaluated, settings.topK());
        }
        return evaluated.stream().sorted(Candidate::compareBest).limit(settings.topK()).toList();
    }

    private boolean offer(Genotype<IntegerGene> child, Map<String, Candidate> seen, Map<String, int[]> fresh) {
        int[] alleles = Encoding.alleles(child);
        String key = Encoding.key(alleles);
        if (seen.containsKey(key) || fresh.containsKey(key) || !settings.allows(encoding.parameters(alleles))) {
            return false;
        }
        fresh.put(key, alleles);
        return true;
    }

    /**
     * Moves a random draw inside the parameter limits: genes picked at random are set to their
     * cheapest mode while it adds too many, or to their costliest while it adds too few.
     */
    private int[] repair(int[] alleles, SplittableRandom random) {
        long total = encoding.parameters(alleles);
        for (int step = 0; step < 4 * alleles.length && !settings.allows(total); step++) {
            int gene = random.nextInt(alleles.length);
            int next = extreme(gene, alleles[gene], settings.maxParams() >= 0 && total > settings.maxParams());
            total += encoding.cost(gene, next) - encoding.cost(gene, alleles[gene]);
            alleles[gene] = next;
        }
        return alleles;
    }

    /**
     * A random candidate spread over the allowed range: a budget uniform between the limits, the
     * genes in random order, each uniform among the modes whose extra cost over its cheapest still
     * fits what is left of the budget (then repaired up to {@code minParams} if it fell short).
     */
    private int[] budgeted(SplittableRandom random) {
        int genes = encoding.length();
        int[] alleles = new int[genes];
        long base = 0;
        for (int gene = 0; gene < genes; gene++) {
            alleles[gene] = extreme(gene, 0, true);
            base += encoding.cost(gene, alleles[gene]);
        }
        long low = Math.max(settings.minParams(), base);
        long budget = low + (long) (random.nextDouble() * (settings.maxParams() - low + 1)) - base;
        int[] order = new int[genes];
        for (int i = 0; i < genes; i++) {
            order[i] = i;
        }
        for (int i = genes - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] fits = new int[64];
        for (int gene : order) {
            long cheapest = encoding.cost(gene, alleles[gene]);
            int count = 0;
            for (int allele = 0; allele < encoding.alleles(gene); allele++) {
                if (encoding.cost(gene, allele) - cheapest <= budget) {
                    if (count == fits.length) {
                        fits = java.util.Arrays.copyOf(fits, 2 * count);
                    }
                    fits[count++] = allele;
                }
            }
            int chosen = fits[random.nextInt(count)];
            budget -= encoding.cost(gene, chosen) - cheapest;
            alleles[gene] = chosen;
        }
        return repair(alleles, random);
    }

    private int extreme(int gene, int current, boolean cheapest) {
        int chosen = current;
        for (int allele = 0; allele < encoding.alleles(gene); allele++) {
            long cost = encoding.cost(gene, allele);
            if (cheapest ? cost < encoding.cost(gene, chosen) : cost > encoding.cost(gene, chosen)) {
                chosen = allele;
            }
        }
        return chosen;
    }
}
