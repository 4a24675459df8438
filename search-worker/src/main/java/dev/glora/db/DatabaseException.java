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
}
