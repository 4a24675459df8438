/**
 * Jobs in PostgreSQL: the spec a user submits, where each job stands, the events the API streams,
 * and what jobs produce (supernet epochs, generations, candidates, artefacts); the catalogs of the
 * model and data roots, and the uploads that add to them ({@link dev.glora.jobs.ModelLibrary},
 * {@link dev.glora.jobs.DataLibrary}).
 */
package dev.glora.jobs;
