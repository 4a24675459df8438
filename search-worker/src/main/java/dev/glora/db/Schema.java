package dev.glora.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The schema version this code was written for. The schema belongs to the SQL migrations in {@code
 * migrations/}, which search-api applies with Flyway; a worker only checks that the database holds
 * exactly the version it knows, and refuses to run otherwise.
 */
public final class Schema {

    /** The highest migration in {@code migrations/} ({@code V1__jobs_queue_results.sql}). */
    public static final int VERSION = 6;

    private Schema() {}

    /**
     * @param database the database
     * @throws DatabaseException if it has no schema, an older one or a newer one
     */
    public static void check(DataSource database) {
        int found;
        try (Connection connection = database.getConnection();
                Statement statement = connection.createStatement()) {
            try (ResultSet rows =
                    statement.executeQuery(
                            "SELECT to_regclass('flyway_schema_history') IS NOT NULL")) {
                rows.next();
                if (!rows.getBoolean(1)) {
                    throw new DatabaseException(
                            "the database has no GLoRA schema (no flyway_schema_history table):"
                                    + " start search-api against it once, which applies the migrations");
                }
            }
            try (ResultSet rows =
                    statement.executeQuery(
                            "SELECT coalesce(max(version::int), 0) FROM"
                                    + " flyway_schema_history WHERE success AND version IS NOT NULL")) {
                rows.next();
                found = rows.getInt(1);
            }
        } catch (SQLException e) {
            throw new DatabaseException("cannot read the schema version: " + e.getMessage(), e);
        }
        if (found < VERSION) {
            throw new DatabaseException(
                    "the database schema is version "
                            + found
                            + ", older than version "
                            + VERSION
                            + " that this worker needs: start the search-api of this release once to migrate it");
        }
        if (found > VERSION) {
            throw new DatabaseException(
                    "the database schema is version "
                            + found
                            + ", newer than version "
                            + VERSION
                            + " that this worker knows: upgrade this worker to the release of the search-api");
        }
    }
}
