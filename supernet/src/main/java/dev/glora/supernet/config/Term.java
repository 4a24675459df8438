package dev.glora.supernet.config;

import java.util.EnumSet;
import java.util.Set;

/**
 * The five adaptable terms of a GLoRA layer, \(W = W_0 + W_0 \odot A + B\) and \(b = b_0 + b_0
 * \odot D + E + W_0 C\).
 */
public enum Term {
    /** Scales the frozen weight element-wise: \(W_0 \odot A\), out x in. */
    A(EnumSet.allOf(Mode.Kind.class)),
    /** Shifts the weight: \(+B\), out x in. */
    B(EnumSet.allOf(Mode.Kind.class)),
    /** A prompt in input space projected by the frozen weight: \(W_0 C\), C is in x 1. */
    C(EnumSet.of(Mode.Kind.LORA, Mode.Kind.VECTOR, Mode.Kind.NONE)),
    /** Scales the frozen bias: \(b_0 \odot D\), length out. */
    D(EnumSet.of(Mode.Kind.VECTOR, Mode.Kind.CONSTANT, Mode.Kind.NONE)),
    /** Shifts the bias: \(+E\), length out. */
    E(EnumSet.of(Mode.Kind.VECTOR, Mode.Kind.CONSTANT, Mode.Kind.NONE));

    private final Set<Mode.Kind> allowed;

    Term(Set<Mode.Kind> allowed) {
        this.allowed = allowed;
    }

    /**
     * @param kind a mode kind
     * @return whether this term can take modes of that kind
     */
    public boolean allows(Mode.Kind kind) {
        return allowed.contains(kind);
    }

    /**
     * @return the trainable-parameter count of a mode of this term in a layer of the given size, as
     *     counted by the search (docs/GLORA.md §1)
     * @param mode a mode this term allows
     * @param out the layer's output features
     * @param in the layer's input features
     */
    public long parameterCount(Mode mode, long out, long in) {
        return switch (mode.kind()) {
            case NONE -> 0;
            case CONSTANT -> 1;
            case VECTOR -> this == C ? in : out;
            case LORA -> this == C ? mode.rank() * (in + 1) : mode.rank() * (out + in);
        };
    }
}
