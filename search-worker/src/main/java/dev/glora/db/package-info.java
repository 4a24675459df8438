/**
 * PostgreSQL: the embedded server of the default set-up, and the schema check workers make before
 * they touch a table.
 */
package dev.glora.db;
