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

    private Sql() {}

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
