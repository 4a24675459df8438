package dev.glora.supernet.train;

/**
 * Top-1 accuracy on a data set, overall and per class.
 *
 * @param correct examples predicted right
 * @param n examples
 * @param correctPerClass right predictions, by true class
 * @param countPerClass examples, by true class
 */
public record Accuracy(long correct, long n, long[] correctPerClass, long[] countPerClass) {

    /**
     * @return correct / n
     */
    public double value() {
        return n == 0 ? 0 : (double) correct / n;
    }

    /**
     * @return accuracy per class; NaN for a class without examples
     */
    public double[] perClass() {
        double[] out = new double[countPerClass.length];
        for (int c = 0; c < out.length; c++) {
            out[c] =
                    countPerClass[c] == 0
                            ? Double.NaN
                            : (double) correctPerClass[c] / countPerClass[c];
        }
        return out;
    }
}
