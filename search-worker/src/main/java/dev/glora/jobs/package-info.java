/**
 * Jobs in PostgreSQL: the spec a user submits, where each job stands, the events the API
 * streams, and what jobs produce (supernet epochs, generations, candidates, artefacts).
 */
package dev.glora.jobs;
