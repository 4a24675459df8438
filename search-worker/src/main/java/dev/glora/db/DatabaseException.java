package dev.glora.db;

import dev.glora.supernet.GloraException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/**
 * The database cannot be reached, started, or has the wrong schema: the service's fault, not the
 * input's, so it is not a {@link GloraException} (the family of bad input). The API answers it 503
 * with {@code Retry-After}, the command line with exit status 3, and a worker hands a task back
 * without spending an attempt when it {@link #isTransient is transient}.
 */
public class DatabaseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, and where
     */
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
            if (t instanceof SQLTransientException
                    || t instanceof SQLRecoverableException
                    || t instanceof SQLNonTransientConnectionException
                    || t instanceof ConnectException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08")
                        || state.startsWith("57P")
                        || state.startsWith("53")
                        || state.startsWith("40")) {
                    return true;
                }
            }
        }
        return false;
    }
}
