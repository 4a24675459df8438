package dev.glora.supernet.train;

import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
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

    private static final Consumer<RandomGenerator> UNCHANGED = random -> {};

    private Trainees() {}

    /** How a supernet training draws the paths of a step. */
    public enum Sampling {
        /** One path per step, every layer's modes drawn uniformly (the reference, GLORA.md §2). */
        UNIFORM,
        /**
         * Four passes per step (BigNAS's sandwich rule with in-place distillation): the largest path
         * (A, B, C at the largest rank, D and E vectors) learns the labels; the smallest (every term
         * {@code none}) and two uniformly drawn paths learn the largest's predictions. A step costs
         * four forward and backward passes, so 25 epochs cost what 100 uniform ones do.
         */
        SANDWICH;

        /** @return the name in specs and on the command line: {@code uniform}, {@code sandwich} */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * @param label {@code uniform} or {@code sandwich}, any case
         * @return the sampling
         * @throws IllegalArgumentException naming the choices
         */
        public static Sampling parse(String label) {
            for (Sampling sampling : values()) {
                if (sampling.label().equalsIgnoreCase(label)) {
                    return sampling;
                }
            }
            throw new IllegalArgumentException("must be uniform or sandwich, got " + label);
        }
    }

    /**
     * Supernet training (GLORA.md §2): the adapters and the head learn, every layer draws a fresh
     * path from {@code space} on every step; validated with random paths and with the all-LoRA path.
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
    public static Trainer.Trainee supernet(Supernet supernet, SearchSpace space, Sampling sampling) {
        Map<String, Consumer<RandomGenerator>> validations = new LinkedHashMap<>();
        validations.put(RANDOM, random -> supernet.samplePaths(space, random));
        validations.put(ALL_LORA, random -> supernet.setConfig(allLora(supernet, space)));
        Consumer<RandomGenerator> sampled = random -> supernet.samplePaths(space, random);
        SubnetConfig largest = allLora(supernet, space);
        SubnetConfig smallest = SubnetConfig.uniform(new ArrayList<>(supernet.layers().keySet()),
                new LayerConfig(Mode.NONE, Mode.NONE, Mode.NONE, Mode.NONE, Mode.NONE));
        List<Trainer.Pass> passes = sampling == Sampling.UNIFORM ? List.of() : List.of(
                new Trainer.Pass(random -> supernet.setConfig(largest), false),
                new Trainer.Pass(random -> supernet.setConfig(smallest), true),
                new Trainer.Pass(sampled, true),
                new Trainer.Pass(sampled, true));
        return new Trainer.Trainee(supernet.network(), Supernet::isTrainable, sampled, validations, passes);
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
        return new Trainer.Trainee(supernet.network(), Supernet::isTrainable, UNCHANGED, Map.of(FIXED, UNCHANGED));
    }

    /**
     * A plain network.
     *
     * @param model the network
     * @param trainable which parameters learn (all of them for full fine-tuning or pretraining,
     *     the head for a linear probe)
     * @return the trainee
     */
    public static Trainer.Trainee plain(VitModel model, Predicate<String> trainable) {
        return new Trainer.Trainee(model.network(), trainable, UNCHANGED, Map.of(FIXED, UNCHANGED));
    }

    /**
     * @param supernet a supernet
     * @param space its search space
     * @return A, B, C in {@code LoRA_k} at the space's largest rank, D and E {@code vector}, everywhere
     */
    public static SubnetConfig allLora(Supernet supernet, SearchSpace space) {
        Mode lora = Mode.lora(space.supernetRank());
        return SubnetConfig.uniform(new ArrayList<>(supernet.layers().keySet()),
                new LayerConfig(lora, lora, lora, Mode.VECTOR, Mode.VECTOR));
    }
}
