/** Server-sent events of every job, fed by PostgreSQL notifications. */
package dev.glora.api.events;
