/**
 * The evolutionary search of GLORA.md §3: the encoding of a configuration as Jenetics genes, the
 * genetic operators, the generation loop with parameter limits, caching and resumption, the
 * Pareto front, and the evaluator interface with its local (threads on this machine)
 * implementation.
 */
package dev.glora.search;
