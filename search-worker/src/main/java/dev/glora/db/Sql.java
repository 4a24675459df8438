package dev.glora.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Transactions without a framework: commit when the work returns, roll back when it throws. */
public final class Sql {

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        /**
         * @param connection the transaction's connection; do not commit or close it
         * @return the result
         * @throws SQLException to roll back
         */
        T run(Connection connection) throws SQLException;
    }

    /** Reads the current row of a result set as a value. */
    @FunctionalInterface
    public interface Row<T> {
        /**
         * @param row the result set, on the row to read; do not move it
         * @return the row's value
         * @throws SQLException from the driver
         */
        T read(ResultSet row) throws SQLException;
    }

    /**
     * Runs of a transaction PostgreSQL chose as a deadlock's victim, before the failure is passed
     * on.
     */
    static final int DEADLOCK_ATTEMPTS = 4;

    private Sql() {}

    /**
     * As {@link #inTransaction}, running the work again when PostgreSQL aborted it to break a
     * deadlock or a serialization conflict (SQLSTATE 40P01, 40001): the whole transaction was
     * rolled back, so nothing of the failed run was kept. Only for work that acts on the database
     * alone (no file, no message, no state outside it), since it may run more than once.
     *
     * @param database the database
     * @param what the work, for the error message
     * @param work the work
     * @return what the work returned, after the commit
     * @throws DatabaseException wrapping any SQL failure, with {@code what} in front
     */
    public static <T> T inTransactionRetryingConflicts(
            DataSource database, String what, Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return inTransaction(database, what, work);
            } catch (DatabaseException e) {
                if (attempt >= DEADLOCK_ATTEMPTS || !isConflict(e.getCause())) {
                    throw e;
                }
                try {
                    // the other transaction gets the locks it waited for and, most often, commits
                    Thread.sleep(20L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static boolean isConflict(Throwable cause) {
        return cause instanceof SQLException sql
                && ("40P01".equals(sql.getSQLState()) || "40001".equals(sql.getSQLState()));
    }

    /**
     * @param database the database
     * @param what the work, for the error message
     * @param work the work
     * @return what the work returned, after the commit
     * @throws DatabaseException wrapping any SQL failure, with {@code what} in front
     */
    public static <T> T inTransaction(DataSource database, String what, Work<T> work) {
        try (Connection connection = database.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new DatabaseException(what + ": " + e.getMessage(), e);
        }
    }

    /**
     * The rows of one query, in a transaction of their own.
     *
     * @param database the database
     * @param what the query, for the error message
     * @param query the SQL, with a {@code ?} for each parameter
     * @param row reads one row
     * @param parameters the query's parameters, in order
     * @return every row's value, in the query's order
     * @throws DatabaseException wrapping any SQL failure, with {@code what} in front
     */
    public static <T> List<T> list(
            DataSource database, String what, String query, Row<T> row, Object... parameters) {
        return inTransaction(
                database, what, connection -> list(connection, query, row, parameters));
    }

    /**
     * The rows of one query, in the caller's transaction.
     *
     * @param connection the transaction
     * @param query the SQL, with a {@code ?} for each parameter
     * @param row reads one row
     * @param parameters the query's parameters, in order
     * @return every row's value, in the query's order
     * @throws SQLException from the driver
     */
    public static <T> List<T> list(
            Connection connection, String query, Row<T> row, Object... parameters)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(query)) {
            for (int i = 0; i < parameters.length; i++) {
                select.setObject(i + 1, parameters[i]);
            }
            List<T> values = new ArrayList<>();
            try (ResultSet r = select.executeQuery()) {
                while (r.next()) {
                    values.add(row.read(r));
                }
            }
            return values;
        }
    }
}
