package dev.glora.supernet.glora;

import ai.djl.ndarray.NDArray;

/**
 * The tensors of one GLoRA layer with supernet rank r, as NDArrays.
 *
 * @param weight frozen \(W_0\), out x in
 * @param bias frozen \(b_0\), out; null when the layer has no bias
 * @param ad A's down tensor, out x r
 * @param au A's up tensor, r x in
 * @param bd B's down tensor, out x r
 * @param bu B's up tensor, r x in
 * @param cd C's down tensor, in x r
 * @param cu C's up tensor, r x 1
 * @param d D, out
 * @param e E, out
 */
public record GloraTensors(
        NDArray weight,
        NDArray bias,
        NDArray ad,
        NDArray au,
        NDArray bd,
        NDArray bu,
        NDArray cd,
        NDArray cu,
        NDArray d,
        NDArray e) {}
