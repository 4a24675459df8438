package dev.glora.jobs;

import dev.glora.supernet.GloraException;

/**
 * A job cannot be submitted or run as specified; names the spec field at fault when there is one.
 */
public class JobException extends GloraException {

    private static final long serialVersionUID = 1L;

    /** The spec field at fault, or null. */
    private final String field;

    /**
     * @param field the spec field at fault, or null
     * @param message what is wrong with it
     */
    public JobException(String field, String message) {
        super(field == null ? message : field + ": " + message);
        this.field = field;
    }

    /**
     * @return the spec field at fault, or null
     */
    public String field() {
        return field;
    }

    /**
     * @return the message without the field in front
     */
    public String reason() {
        return field == null ? getMessage() : getMessage().substring(field.length() + 2);
    }
}
