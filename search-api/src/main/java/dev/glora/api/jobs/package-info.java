/** The jobs resource: submit a search, follow it, download its results, cancel it. */
package dev.glora.api.jobs;
