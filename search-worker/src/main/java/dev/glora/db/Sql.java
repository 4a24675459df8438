package dev.glora.db;

import java.sql.Connection;
import java.sql.SQLException;
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
}
