package dev.glora.supernet.train;

import java.util.List;

/** Receives a training run's progress; every method has an empty default. */
public interface TrainingListener {

    /**
     * @param firstEpoch the 1-based epoch training starts at (above 1 when resumed)
     * @param history the epochs finished before, when resumed
     * @param stepsPerEpoch steps in every epoch
     */
    default void onStart(int firstEpoch, List<EpochResult> history, int stepsPerEpoch) {}

    /**
     * @param epoch 1-based epoch
     * @param step 1-based step within it
     * @param steps steps in the epoch
     * @param loss this step's loss
     * @param imagesPerSecond throughput so far in this epoch
     */
    default void onStep(int epoch, int step, int steps, double loss, double imagesPerSecond) {}

    /**
     * @param result the finished epoch, after validation and after its resume point was saved
     */
    default void onEpoch(EpochResult result) {}
}
