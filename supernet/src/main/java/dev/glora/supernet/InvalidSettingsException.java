package dev.glora.supernet;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Settings that break their rules ({@code TrainSettings.problems}, {@code
 * SearchSettings.problems}): every broken rule, each under the field name a job's spec uses. The
 * constructors throw it; the command line renames the fields to its options and a job's spec
 * prefixes its section, so both refuse the same values with the same words.
 */
public final class InvalidSettingsException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** One broken rule. @param field the setting, as a job's spec names it @param message why */
    public record Problem(String field, String message) {}

    private final transient List<Problem> problems;

    /**
     * @param problems the broken rules, at least one
     */
    public InvalidSettingsException(List<Problem> problems) {
        super(describe(problems, Map.of()));
        this.problems = List.copyOf(problems);
    }

    /**
     * @return the broken rules
     */
    public List<Problem> problems() {
        return problems;
    }

    /**
     * @param names the command line's name of each field (fields not named keep theirs)
     * @return the broken rules in the command line's words, e.g. {@code --lr must be in (0, 10),
     *     got 20.0}
     */
    public String describe(Map<String, String> names) {
        return describe(problems, names);
    }

    private static String describe(List<Problem> problems, Map<String, String> names) {
        return problems.stream()
                .map(p -> names.getOrDefault(p.field(), p.field()) + " " + p.message())
                .collect(Collectors.joining("; "));
    }

    /**
     * @param problems where a broken rule goes
     * @param ok whether the rule holds
     * @param field the setting
     * @param message why it does not, with the value
     */
    public static void require(List<Problem> problems, boolean ok, String field, String message) {
        if (!ok) {
            problems.add(new Problem(field, message));
        }
    }
}
