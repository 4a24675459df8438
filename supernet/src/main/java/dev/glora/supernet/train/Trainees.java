package dev.glora.supernet.train;

import dev.glora.supernet.config.Choice;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.PathCosts;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/** The ways this project trains a network, as {@link Trainer.Trainee}s. */
public final class Trainees {

    /** Validation mode: the network as it is (a plain network, or a supernet's fixed path). */
    public static final String FIXED = "fixed";

    /** Validation mode: every layer draws a random path for every batch. */
    public static final String RANDOM = "random";

    /** Validation mode: A, B, C at the largest LoRA rank, D and E vectors, in every layer. */
    public static final String ALL_LORA = "all-lora";

    /**
     * Validation mode: one path drawn within the training's parameter limit, the same every epoch.
     */
    public static final String LIMITED = "limited";

    private static final Consumer<RandomGenerator> UNCHANGED = random -> {};

    private Trainees() {}

    /** How a supernet training draws the paths of a step. */
    public enum Sampling implements Choice {
        /**
         * One path per step, every layer's modes drawn uniformly (the reference, docs/GLORA.md §2).
         */
        UNIFORM,
        /**
         * Four passes per step (BigNAS's sandwich rule with in-place distillation): the largest
         * path (A, B, C at the largest rank, D and E vectors) learns the labels; the smallest
         * (every term {@code none}) and two uniformly drawn paths learn the largest's predictions.
         * A step costs four forward and backward passes, so 25 epochs cost what 100 uniform ones
         * do.
         */
        SANDWICH,
        /**
         * One path per step, drawn within a parameter limit as the search's budgeted first
         * generation is ({@link PathCosts#withinBudget}): a budget uniform up to the limit, filled
         * gene by gene in random order. The shared weights learn the paths a search under that
         * limit can choose, and only those.
         */
        LIMITED;

        /**
         * @param label {@code uniform}, {@code sandwich} or {@code limited}, any case
         * @return the sampling
         * @throws IllegalArgumentException naming the choices
         */
        public static Sampling parse(String label) {
            return Choice.parse(Sampling.class, label);
        }
    }

    /**
     * Supernet training (docs/GLORA.md §2): the adapters and the head learn, every layer draws a
     * fresh path from {@code space} on every step; validated with random paths and with the
     * all-LoRA path.
     *
     * @param supernet the supernet
     * @param space the modes to draw from
     * @return the trainee
     */
    public static Trainer.Trainee supernet(Supernet supernet, SearchSpace space) {
        return supernet(supernet, space, Sampling.UNIFORM);
    }

    /**
     * Supernet training with the given path sampling; validated as {@link #supernet(Supernet,
     * SearchSpace)}.
     *
     * @param supernet the supernet
     * @param space the modes to draw from
     * @param sampling how a step draws its paths
     * @return the trainee
     */
    public static Trainer.Trainee supernet(
            Supernet supernet, SearchSpace space, Sampling sampling) {
        return supernet(supernet, space, sampling, -1);
    }

    /**
     * Supernet training with the given path sampling; validated as {@link #supernet(Supernet,
     * SearchSpace)}, and under {@link Sampling#LIMITED} also with paths drawn within the limit
     * ({@value #LIMITED}).
     *
     * @param supernet the supernet
     * @param space the modes to draw from
     * @param sampling how a step draws its paths
     * @param maxParams under {@link Sampling#LIMITED}: the most adapter parameters a path may add
     *     (at least the cheapest path's); otherwise ignored
     * @return the trainee
     * @throws IllegalArgumentException if the limit is below the cheapest path
     */
    public static Trainer.Trainee supernet(
            Supernet supernet, SearchSpace space, Sampling sampling, long maxParams) {
        Map<String, Consumer<RandomGenerator>> validations = new LinkedHashMap<>();
        validations.put(RANDOM, random -> supernet.samplePaths(space, random));
        validations.put(ALL_LORA, random -> supernet.setConfig(allLora(supernet, space)));
        Consumer<RandomGenerator> sampled = random -> supernet.samplePaths(space, random);
        List<Trainer.Pass> passes = List.of();
        if (sampling == Sampling.LIMITED) {
            PathCosts costs = new PathCosts(Supernet.layerShapes(supernet.architecture()), space);
            checkLimit(costs, maxParams);
            // a path for the whole supernet at once, so it is drawn per step, as a pass
            Consumer<RandomGenerator> within =
                    random ->
                            supernet.setConfig(
                                    costs.decode(costs.withinBudget(0, maxParams, random)));
            validations.put(LIMITED, within);
            passes = List.of(new Trainer.Pass(within, false));
            sampled = UNCHANGED;
        } else if (sampling == Sampling.SANDWICH) {
            SubnetConfig largest = allLora(supernet, space);
            SubnetConfig smallest =
                    SubnetConfig.uniform(
                            new ArrayList<>(supernet.layers().keySet()),
                            new LayerConfig(Mode.NONE, Mode.NONE, Mode.NONE, Mode.NONE, Mode.NONE));
            Consumer<RandomGenerator> drawn = sampled;
            passes =
                    List.of(
                            new Trainer.Pass(random -> supernet.setConfig(largest), false),
                            new Trainer.Pass(random -> supernet.setConfig(smallest), true),
                            new Trainer.Pass(drawn, true),
                            new Trainer.Pass(drawn, true));
        }
        return new Trainer.Trainee(
                supernet.network(), Supernet::isTrainable, sampled, validations, passes);
    }

    /**
     * @param costs a supernet's paths
     * @param maxParams a limit for {@link Sampling#LIMITED}
     * @throws IllegalArgumentException if no path fits it
     */
    public static void checkLimit(PathCosts costs, long maxParams) {
        long cheapest = costs.range()[0];
        if (maxParams < cheapest) {
            throw new IllegalArgumentException(
                    "limited sampling needs a parameter limit of at least "
                            + cheapest
                            + " (the cheapest path), got "
                            + maxParams);
        }
    }

    /**
     * Training one fixed configuration (the LoRA and fixed-GLoRA baselines): the adapters it uses
     * and the head learn.
     *
     * @param supernet the supernet
     * @param config the configuration every step uses
     * @return the trainee
     */
    public static Trainer.Trainee fixed(Supernet supernet, SubnetConfig config) {
        supernet.setConfig(config);
        return new Trainer.Trainee(
                supernet.network(), Supernet::isTrainable, UNCHANGED, Map.of(FIXED, UNCHANGED));
    }

    /**
     * A plain network.
     *
     * @param model the network
     * @param trainable which parameters learn (all of them for full fine-tuning or pretraining, the
     *     head for a linear probe)
     * @return the trainee
     */
    public static Trainer.Trainee plain(VitModel model, Predicate<String> trainable) {
        return new Trainer.Trainee(model.network(), trainable, UNCHANGED, Map.of(FIXED, UNCHANGED));
    }

    /**
     * @param supernet a supernet
     * @param space its search space
     * @return A, B, C in {@code LoRA_k} at the space's largest rank, D and E {@code vector},
     *     everywhere
     */
    public static SubnetConfig allLora(Supernet supernet, SearchSpace space) {
        Mode lora = Mode.lora(space.supernetRank());
        return SubnetConfig.uniform(
                new ArrayList<>(supernet.layers().keySet()),
                new LayerConfig(lora, lora, lora, Mode.VECTOR, Mode.VECTOR));
    }
}
