package dev.glora.supernet;

/** Root of every error raised by the supernet module: bad input, bad files, bad configurations. */
public class GloraException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong and where, precise enough for the user to act on
     */
    public GloraException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and where
     * @param cause the underlying error
     */
    public GloraException(String message, Throwable cause) {
        super(message, cause);
    }
}
