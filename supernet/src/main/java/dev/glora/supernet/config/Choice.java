package dev.glora.supernet.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A closed set of choices a user names in a spec, a stored file or on the command line: an enum
 * whose values are written as their lower-case names ({@code uniform}, {@code pareto}) and read in
 * any case. The JSON libraries of the service (Gson for specs, Jackson for REST replies) and the
 * command line's converter write and read every such enum through this one interface, so the text a
 * user sees is the same everywhere and a wrong one is refused naming the allowed values.
 */
public interface Choice {

    /**
     * @return the enum constant's name as the Java enum has it
     */
    String name();

    /**
     * @return the name a spec, a stored file and the command line use: the lower-case constant
     */
    default String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param type an enum of choices
     * @return its labels, in declaration order
     */
    static <E extends Enum<E> & Choice> List<String> labels(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(Choice::label).toList();
    }

    /**
     * @param type an enum of choices
     * @param label a label, any case
     * @return the choice it names
     * @throws IllegalArgumentException "must be one of a, b, got x", naming the allowed values
     */
    static <E extends Enum<E> & Choice> E parse(Class<E> type, String label) {
        for (E value : type.getEnumConstants()) {
            if (value.label().equalsIgnoreCase(label)) {
                return value;
            }
        }
        throw new IllegalArgumentException(
                "must be one of " + String.join(", ", labels(type)) + ", got " + label);
    }
}
