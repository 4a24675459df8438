package dev.glora.supernet.vit;

/**
 * A block that draws random decisions on every training forward pass (a supernet layer's modes, a
 * block's drop-path masks) and can hold one step's draws over several micro-batches, so that a
 * batch trained in parts (gradient accumulation) sees exactly the decisions it would see whole.
 */
public interface StepDraws {

    /**
     * Until {@link #releaseDraws}, draw on the first forward pass as for a whole batch of {@code
     * batch} samples, in the same order, and let later passes reuse those draws, each taking the
     * next samples' share.
     *
     * @param batch the samples of the whole step
     */
    void holdDraws(int batch);

    /** Returns to drawing on every forward pass. */
    void releaseDraws();
}
