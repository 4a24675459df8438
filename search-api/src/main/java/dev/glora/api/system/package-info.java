/**
 * The service's wiring: settings, the embedded database, in-process workers, access and metrics.
 */
package dev.glora.api.system;
