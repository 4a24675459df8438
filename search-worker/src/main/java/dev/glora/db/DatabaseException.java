package dev.glora.db;

import dev.glora.supernet.GloraException;

/** The database cannot be reached, started, or has the wrong schema. */
public class DatabaseException extends GloraException {

    private static final long serialVersionUID = 1L;

    /** @param message what failed, and where */
    public DatabaseException(String message) {
        super(message);
    }

    /**
     * @param message what failed, and where
     * @param cause the underlying failure
     */
    public DatabaseException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * @return whether the database was away or busy rather than the statement wrong: a lost or
     *     refused connection (SQLSTATE class 08), a server shutting down or starting (57P), out of
     *     resources (53), a serialisation failure or deadlock (40), or the pool's time-out. Work
     *     that met such an error can run again unchanged.
     */
    public boolean isTransient() {
        for (Throwable t = getCause(); t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLTransientException || t instanceof java.sql.SQLRecoverableException
                    || t instanceof java.sql.SQLNonTransientConnectionException || t instanceof java.net.ConnectException) {
                return true;
            }
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53") || state.startsWith("40")) {
                    return true;
                }
            }
        }
        return false;
    }
}
