package dev.glora.supernet.train;

import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    /**
     * Supernet training (GLORA.md §2): the adapters and the head learn, every layer draws a fresh
     * path from {@code space} on every step; validated with random paths and with the all-LoRA path.
     *
     * @param supernet the supernet
     * @param space the modes to draw from
     * @return the trainee
     */
    public static Trainer.Trainee supernet(Supernet supernet, SearchSpace space) {
        Map<String, Consumer<RandomGenerator>> validations = new LinkedHashMap<>();
        validations.put(RANDOM, random -> supernet.samplePaths(space, random));
        validations.put(ALL_LORA, random -> supernet.setConfig(allLora(supernet, space)));
        return new Trainer.Trainee(supernet.network(), Supernet::isTrainable,
                random -> supernet.samplePaths(space, random), validations);
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
