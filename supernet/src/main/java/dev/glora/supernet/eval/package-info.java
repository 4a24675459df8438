/**
 * Scoring subnets of a trained supernet without retraining, as fast as a plain forward pass: each
 * configuration is merged into plain weights once, and the plain network runs over the whole data
 * set from tokens embedded once per job ({@link dev.glora.supernet.eval.SubnetScorer}).
 */
package dev.glora.supernet.eval;
