package dev.glora.supernet.train;

import java.util.Map;

/**
 * What one epoch did.
 *
 * @param epoch 1-based epoch
 * @param epochs epochs in the run
 * @param lr the learning rate it used
 * @param loss mean training loss over its steps
 * @param imagesPerSecond training throughput (forward, backward and update)
 * @param seconds wall time of the training part
 * @param validation accuracy on the validation set, per evaluation mode (e.g. {@code random},
 *     {@code all-lora}), in insertion order
 */
public record EpochResult(
        int epoch,
        int epochs,
        double lr,
        double loss,
        double imagesPerSecond,
        double seconds,
        Map<String, Double> validation) {}
