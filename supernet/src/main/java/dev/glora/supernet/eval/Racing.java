package dev.glora.supernet.eval;

import dev.glora.supernet.config.Choice;

/**
 * When a candidate may stop being evaluated early: after each stage of {@code stage} images, it
 * stops once it cannot beat the accuracy {@code mustBeat} (the search's current k-th best).
 *
 * <ul>
 *   <li>{@link Bound#EXACT}: stop when even all remaining images right would not beat it, \((c + n
 *       - m) / n &lt; \tau\). Never wrong: the search's parents and best are exactly those of a
 *       search without racing.
 *   <li>{@link Bound#HOEFFDING}: stop when \(\hat p + \varepsilon &lt; \tau\) with the
 *       Hoeffding–Serfling bound for sampling without replacement, \(\varepsilon = \sqrt{(1 -
 *       (m-1)/n)\ln(1/\delta) / (2m)}\): each decision wrongly drops a candidate that would have
 *       beaten τ with probability at most δ, provided the images are in random order (VTAB-1K's
 *       {@code val200} is a random draw).
 * </ul>
 *
 * @param bound which bound
 * @param delta the error probability of one Hoeffding decision
 * @param stage images per stage
 */
public record Racing(Bound bound, double delta, int stage) {

    /** No early stopping. */
    public static final Racing OFF = new Racing(Bound.OFF, 0, Integer.MAX_VALUE);

    /** The bounds. */
    public enum Bound implements Choice {
        /** Every candidate sees every image. */
        OFF,
        /** Stop only when beating the threshold is impossible. */
        EXACT,
        /** Stop when beating it is improbable, error at most δ per decision. */
        HOEFFDING
    }

    /** Checks the values. */
    public Racing {
        if (bound != Bound.OFF
                && (stage < 1 || (bound == Bound.HOEFFDING && !(delta > 0 && delta < 1)))) {
            throw new IllegalArgumentException(
                    "racing needs a positive stage and a delta in (0, 1), got stage "
                            + stage
                            + ", delta "
                            + delta);
        }
    }

    /**
     * @param correct right so far
     * @param seen images scored so far
     * @param total images in the set
     * @param mustBeat the accuracy to beat
     * @return whether to stop now
     */
    public boolean cannotBeat(long correct, long seen, long total, double mustBeat) {
        if (seen >= total || seen == 0) {
            return false;
        }
        return switch (bound) {
            case OFF -> false;
            case EXACT -> correct + (total - seen) < mustBeat * total;
            case HOEFFDING -> {
                double epsilon =
                        Math.sqrt((1 - (seen - 1.0) / total) * Math.log(1 / delta) / (2.0 * seen));
                yield (double) correct / seen + epsilon < mustBeat;
            }
        };
    }
}
