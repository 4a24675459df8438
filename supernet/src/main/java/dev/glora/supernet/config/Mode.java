package dev.glora.supernet.config;

import java.util.Locale;

/**
 * How one term of one GLoRA layer is built from the layer's shared tensors.
 *
 * <p>Spelled as in the reference code: {@code LoRA_k}, {@code vector}, {@code constant}, {@code
 * none}. The paper's word {@code scalar} is read as {@code constant}.
 *
 * @param kind the kind of mode
 * @param rank the LoRA rank k for {@link Kind#LORA}, otherwise 0
 */
public record Mode(Kind kind, int rank) {

    /** The kinds of mode a term can take. */
    public enum Kind {
        /** A rank-k product of the term's down and up tensors. */
        LORA,
        /** One value per row (A, B, D, E) or per input feature (C). */
        VECTOR,
        /** One value for the whole term. */
        CONSTANT,
        /** The term is absent. */
        NONE
    }

    /** The {@code vector} mode. */
    public static final Mode VECTOR = new Mode(Kind.VECTOR, 0);

    /** The {@code constant} mode. */
    public static final Mode CONSTANT = new Mode(Kind.CONSTANT, 0);

    /** The {@code none} mode. */
    public static final Mode NONE = new Mode(Kind.NONE, 0);

    private static final String LORA_PREFIX = "LoRA_";

    /** Validates that only LoRA modes carry a rank, and that it is positive. */
    public Mode {
        if (kind == null) {
            throw new ConfigException("mode kind must not be null");
        }
        if (kind == Kind.LORA ? rank < 1 : rank != 0) {
            throw new ConfigException(
                    "mode "
                            + kind
                            + " cannot have rank "
                            + rank
                            + " (LoRA needs k >= 1, others 0)");
        }
    }

    /**
     * @param k the rank, at least 1
     * @return the mode {@code LoRA_k}
     */
    public static Mode lora(int k) {
        return new Mode(Kind.LORA, k);
    }

    /**
     * Reads a mode name: {@code LoRA_k}, {@code vector}, {@code constant} (or {@code scalar}),
     * {@code none}.
     *
     * @param name the name
     * @return the mode
     * @throws ConfigException if the name is none of these
     */
    public static Mode parse(String name) {
        if (name == null) {
            throw new ConfigException("mode must be a string, found null");
        }
        switch (name) {
            case "vector":
                return VECTOR;
            case "constant":
            case "scalar":
                return CONSTANT;
            case "none":
                return NONE;
            default:
                break;
        }
        if (name.startsWith(LORA_PREFIX)) {
            String digits = name.substring(LORA_PREFIX.length());
            if (digits.matches("[1-9][0-9]{0,5}")) {
                return lora(Integer.parseInt(digits));
            }
        }
        throw new ConfigException(
                "unknown mode '"
                        + name
                        + "': expected LoRA_k (k >= 1), vector, constant, scalar or none");
    }

    /**
     * @return the reference spelling, e.g. {@code LoRA_4} or {@code constant}
     */
    @Override
    public String toString() {
        return kind == Kind.LORA ? LORA_PREFIX + rank : kind.name().toLowerCase(Locale.ROOT);
    }
}
