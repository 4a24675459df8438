/**
 * Structural re-parameterization (docs/GLORA.md §4): a supernet and one chosen configuration become
 * a plain ViT checkpoint with exactly the backbone's architecture, so inference costs what the
 * backbone costs.
 */
package dev.glora.supernet.merge;
