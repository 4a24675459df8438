package dev.glora.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Transactions against a real PostgreSQL. */
class SqlTest {

    @Test
    void workAbortedForADeadlockRunsAgainWithNothingOfTheFailedRunKeptAndOtherFailuresDoNot()
            throws Exception {
        try (HikariDataSource database = TestDatabase.pool(TestDatabase.createDatabase(false), 2)) {
            Sql.inTransaction(
                    database,
                    "create",
                    c -> {
                        try (Statement s = c.createStatement()) {
                            return s.executeUpdate("CREATE TABLE counted (n int)");
                        }
                    });
            AtomicInteger runs = new AtomicInteger();
            int rows =
                    Sql.inTransactionRetryingConflicts(
                            database,
                            "insert",
                            c -> {
                                try (Statement s = c.createStatement()) {
                                    s.executeUpdate("INSERT INTO counted VALUES (1)");
                                }
                                if (runs.incrementAndGet() < 3) {
                                    throw new SQLException("deadlock detected", "40P01");
                                }
                                return 1;
                            });
            assertEquals(1, rows);
            assertEquals(3, runs.get(), "ran until it was not a deadlock's victim");
            assertEquals(1L, count(database), "the aborted runs' rows were rolled back");

            runs.set(0);
            DatabaseException always =
                    assertThrows(
                            DatabaseException.class,
                            () ->
                                    Sql.inTransactionRetryingConflicts(
                                            database,
                                            "insert",
                                            c -> {
                                                runs.incrementAndGet();
                                                throw new SQLException(
                                                        "could not serialize access", "40001");
                                            }));
            assertEquals(Sql.DEADLOCK_ATTEMPTS, runs.get(), always.getMessage());
            runs.set(0);
            assertThrows(
                    DatabaseException.class,
                    () ->
                            Sql.inTransactionRetryingConflicts(
                                    database,
                                    "insert",
                                    c -> {
                                        runs.incrementAndGet();
                                        throw new SQLException("duplicate key", "23505");
                                    }));
            assertEquals(1, runs.get(), "any other failure is passed on at once");
        }
    }

    @Test
    void aListBindsItsParametersInOrderAndReadsEveryRowInTheQuerysOrder() throws Exception {
        try (HikariDataSource database = TestDatabase.pool(TestDatabase.createDatabase(false), 1)) {
            String query =
                    "SELECT n, 'row ' || n FROM generate_series(1, 10) AS n"
                            + " WHERE n >= ? AND n <= ? ORDER BY n DESC";
            assertEquals(
                    List.of("row 7", "row 6", "row 5"),
                    Sql.list(database, "rows", query, r -> r.getString(2), 5, 7));
            assertEquals(List.of(), Sql.list(database, "none", query, r -> r.getInt(1), 8, 7));
            DatabaseException wrong =
                    assertThrows(
                            DatabaseException.class,
                            () -> Sql.list(database, "reading rows", query, r -> r.getInt(1), 5));
            assertTrue(wrong.getMessage().startsWith("reading rows: "), wrong.getMessage());
        }
    }

    private static long count(HikariDataSource database) {
        return Sql.inTransaction(
                database,
                "count",
                c -> {
                    try (Statement s = c.createStatement();
                            var rows = s.executeQuery("SELECT count(*) FROM counted")) {
                        rows.next();
                        return rows.getLong(1);
                    }
                });
    }
}
