/**
 * Labelled image data: the readers for the layouts users have (IDX files, VTAB-1K task folders, one
 * folder per class), {@link dev.glora.supernet.data.FolderTask}, which makes a VTAB-1K task folder
 * of a user's image folders, the preprocessing that turns images into a model's input, and the
 * FMNIST-VTAB task generator (BENCHMARK.md §1).
 *
 * <p>Images are kept as 8-bit pixels at their own size; {@link dev.glora.supernet.data.Preprocess}
 * resizes, converts channels and normalises one batch at a time, so a data set costs its encoded
 * size, not its size at the model's resolution.
 */
package dev.glora.supernet.data;
