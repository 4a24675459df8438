/**
 * The evolutionary search of docs/GLORA.md §3: the encoding of a configuration as Jenetics
 * genotypes, the genetic operators, the generation loop with parameter limits, caching, racing and
 * resumption, the Pareto front (NSGA-II), and the evaluator interface with its local (threads on
 * this machine) implementation.
 *
 * <p>Jenetics supplies the genetic model (integer genes with ranges, chromosomes, genotypes,
 * phenotypes) and drives the generations: a Jenetics {@code EvolutionStream} runs the search's
 * {@code Evolution} step. The step is the reference's scheme rather than Jenetics' standard engine,
 * whose survivors + offspring model cannot express it: parents are the top-k of every candidate
 * evaluated so far, each generation is made of new candidates only (mutants, crossovers, random),
 * and none is ever evaluated twice. Every random choice of generation g comes from a generator
 * seeded by (seed, g).
 */
package dev.glora.search;
