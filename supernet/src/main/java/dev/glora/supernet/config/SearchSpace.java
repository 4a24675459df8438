package dev.glora.supernet.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The modes every GLoRA layer may take, given the LoRA ranks the search considers.
 *
 * <p>A and B: {@code LoRA_k} for each listed k, {@code vector}, {@code constant}, {@code none}. C:
 * {@code LoRA_k}, {@code vector}, {@code none}. D and E: {@code vector}, {@code constant}, {@code
 * none}. With one rank this is 4·4·3·3·3 = 432 combinations per layer. Every {@code LoRA_k} slices
 * the same shared tensors, so the supernet is built at the largest rank.
 *
 * @param ranks the LoRA ranks, distinct and positive, in the order given
 */
public record SearchSpace(List<Integer> ranks) {

    /** Validates the ranks and freezes the list. */
    public SearchSpace {
        if (ranks == null || ranks.isEmpty()) {
            throw new ConfigException("a search space needs at least one LoRA rank");
        }
        if (new LinkedHashSet<>(ranks).size() != ranks.size()) {
            throw new ConfigException("LoRA ranks must be distinct, got " + ranks);
        }
        for (Integer rank : ranks) {
            if (rank == null || rank < 1) {
                throw new ConfigException("LoRA ranks must be positive, got " + ranks);
            }
        }
        ranks = List.copyOf(ranks);
    }

    /**
     * @param ranks the LoRA ranks
     * @return the space over those ranks
     */
    public static SearchSpace ofRanks(Integer... ranks) {
        return new SearchSpace(List.of(ranks));
    }

    /**
     * @return the rank the supernet's shared tensors must have: the largest listed rank
     */
    public int supernetRank() {
        return Collections.max(ranks);
    }

    /**
     * @param term a term
     * @return the modes that term may take here, LoRA modes first in the order of the ranks
     */
    public List<Mode> modes(Term term) {
        List<Mode> modes = new ArrayList<>();
        if (term.allows(Mode.Kind.LORA)) {
            ranks.forEach(rank -> modes.add(Mode.lora(rank)));
        }
        for (Mode mode : List.of(Mode.VECTOR, Mode.CONSTANT, Mode.NONE)) {
            if (term.allows(mode.kind())) {
                modes.add(mode);
            }
        }
        return modes;
    }

    /**
     * @return the number of mode combinations one layer can take
     */
    public long size() {
        long size = 1;
        for (Term term : Term.values()) {
            size *= modes(term).size();
        }
        return size;
    }

    /**
     * @param config a layer configuration
     * @return whether every one of its modes is in this space
     */
    public boolean contains(LayerConfig config) {
        for (Term term : Term.values()) {
            if (!modes(term).contains(config.mode(term))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Draws one layer configuration uniformly over the whole space: each term's mode is drawn
     * independently and uniformly, which makes every combination equally likely.
     *
     * @param random the source of randomness, seeded by the caller
     * @return the drawn configuration
     */
    public LayerConfig sample(RandomGenerator random) {
        Map<Term, Mode> modes = new EnumMap<>(Term.class);
        for (Term term : Term.values()) {
            List<Mode> choices = modes(term);
            modes.put(term, choices.get(random.nextInt(choices.size())));
        }
        return LayerConfig.of(modes);
    }

    /**
     * @return every combination of this space, A varying slowest
     */
    public List<LayerConfig> all() {
        List<LayerConfig> all = new ArrayList<>();
        for (Mode a : modes(Term.A)) {
            for (Mode b : modes(Term.B)) {
                for (Mode c : modes(Term.C)) {
                    for (Mode d : modes(Term.D)) {
                        for (Mode e : modes(Term.E)) {
                            all.add(new LayerConfig(a, b, c, d, e));
                        }
                    }
                }
            }
        }
        return all;
    }
}
