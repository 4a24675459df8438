package dev.glora.supernet.data;

import dev.glora.supernet.GloraException;

/** A data set that cannot be used: the message names the file, and the line where there is one. */
public class DataException extends GloraException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong and where
     */
    public DataException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and where
     * @param cause the underlying error
     */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
