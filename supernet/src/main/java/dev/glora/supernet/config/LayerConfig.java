package dev.glora.supernet.config;

import java.util.EnumMap;
import java.util.Map;

/**
 * The modes of the five terms of one GLoRA layer.
 *
 * @param a mode of term A (any kind)
 * @param b mode of term B (any kind)
 * @param c mode of term C (LoRA, vector or none)
 * @param d mode of term D (vector, constant or none)
 * @param e mode of term E (vector, constant or none)
 */
public record LayerConfig(Mode a, Mode b, Mode c, Mode d, Mode e) {

    /** A layer that computes exactly its frozen linear: every term {@code none}. */
    public static final LayerConfig FROZEN =
            new LayerConfig(Mode.NONE, Mode.NONE, Mode.NONE, Mode.NONE, Mode.NONE);

    /** Checks that each term's mode is one that term allows. */
    public LayerConfig {
        check(Term.A, a);
        check(Term.B, b);
        check(Term.C, c);
        check(Term.D, d);
        check(Term.E, e);
    }

    private static void check(Term term, Mode mode) {
        if (mode == null) {
            throw new ConfigException("term " + term + " has no mode");
        }
        if (!term.allows(mode.kind())) {
            throw new ConfigException("term " + term + " cannot take mode " + mode);
        }
    }

    /**
     * Reads five mode names, e.g. {@code of("LoRA_4", "vector", "none", "constant", "vector")}.
     *
     * @param a mode of A
     * @param b mode of B
     * @param c mode of C
     * @param d mode of D
     * @param e mode of E
     * @return the configuration
     */
    public static LayerConfig of(String a, String b, String c, String d, String e) {
        return new LayerConfig(
                Mode.parse(a), Mode.parse(b), Mode.parse(c), Mode.parse(d), Mode.parse(e));
    }

    /**
     * Builds a configuration from one mode per term.
     *
     * @param modes a mode for every term
     * @return the configuration
     */
    public static LayerConfig of(Map<Term, Mode> modes) {
        return new LayerConfig(
                modes.get(Term.A),
                modes.get(Term.B),
                modes.get(Term.C),
                modes.get(Term.D),
                modes.get(Term.E));
    }

    /**
     * @param term a term
     * @return that term's mode
     */
    public Mode mode(Term term) {
        return switch (term) {
            case A -> a;
            case B -> b;
            case C -> c;
            case D -> d;
            case E -> e;
        };
    }

    /**
     * @return the modes by term, in order A–E
     */
    public Map<Term, Mode> modes() {
        Map<Term, Mode> modes = new EnumMap<>(Term.class);
        for (Term term : Term.values()) {
            modes.put(term, mode(term));
        }
        return modes;
    }

    /**
     * @return the largest LoRA rank any term uses, 0 if none is LoRA
     */
    public int maxRank() {
        int max = 0;
        for (Term term : Term.values()) {
            max = Math.max(max, mode(term).rank());
        }
        return max;
    }

    /**
     * Trainable parameters this configuration adds to a layer (docs/GLORA.md §1).
     *
     * @param out output features of the layer
     * @param in input features of the layer
     * @return the count
     */
    public long parameterCount(long out, long in) {
        long count = 0;
        for (Term term : Term.values()) {
            count += term.parameterCount(mode(term), out, in);
        }
        return count;
    }

    @Override
    public String toString() {
        return "A=" + a + " B=" + b + " C=" + c + " D=" + d + " E=" + e;
    }
}
