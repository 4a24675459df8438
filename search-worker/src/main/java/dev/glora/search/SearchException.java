package dev.glora.search;

import dev.glora.supernet.GloraException;

/** A search that cannot run: impossible limits, a state file of another search. */
public class SearchException extends GloraException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong
     */
    public SearchException(String message) {
        super(message);
    }
}
