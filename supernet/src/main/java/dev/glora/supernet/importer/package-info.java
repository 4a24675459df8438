/**
 * Importing checkpoints this project did not write: timm-named safetensors as the Hugging Face hub
 * ships them ({@link dev.glora.supernet.importer.CheckpointImporter}) and Google's original ViT
 * {@code .npz} files ({@link dev.glora.supernet.importer.Npz}, {@link
 * dev.glora.supernet.importer.GoogleVit}), with the architecture named from timm's table ({@link
 * dev.glora.supernet.importer.TimmArchitectures}) or inferred from tensor shapes, and the position
 * embedding resampled to another input size ({@link
 * dev.glora.supernet.importer.PosEmbedResampler}).
 *
 * <p>The result is a self-describing checkpoint: the architecture, mean/std and provenance (source
 * file name and SHA-256, architecture name, what was dropped) in its metadata.
 */
package dev.glora.supernet.importer;
