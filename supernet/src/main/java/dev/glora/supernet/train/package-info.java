/**
 * Training and evaluation: the AdamW optimiser, the warm-up cosine schedule, the epoch loop with
 * progress events, resumption and loss checks ({@link dev.glora.supernet.train.Trainer}), and
 * accuracy on a data set ({@link dev.glora.supernet.train.Evaluation}).
 *
 * <p>Every batch runs inside its own {@link NDScope}; optimiser state lives outside any scope, so
 * native memory stays flat over epochs.
 */
package dev.glora.supernet.train;

import ai.djl.ndarray.NDScope;
