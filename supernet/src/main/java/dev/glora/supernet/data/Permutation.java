package dev.glora.supernet.data;

import java.util.SplittableRandom;

/** Seeded Fisher–Yates shuffles: the one way this project orders examples at random. */
public final class Permutation {

    private Permutation() {}

    /**
     * Shuffles in place, uniformly over all orders.
     *
     * @param values the values to shuffle
     * @param random the source
     */
    public static void shuffle(int[] values, SplittableRandom random) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
    }

    /**
     * @param n how many
     * @param random the source
     * @return 0 to n - 1 in a uniformly random order
     */
    public static int[] of(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        shuffle(order, random);
        return order;
    }
}
