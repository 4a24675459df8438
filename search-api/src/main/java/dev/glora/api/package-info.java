/**
 * The GLoRA search service's HTTP edge: Spring Boot application, packaged by feature (jobs,
 * dashboard, system) as the features arrive. It never trains a network itself.
 */
package dev.glora.api;
