package dev.glora.supernet.config;

import dev.glora.supernet.GloraException;

/** A configuration, mode name or search space that is not valid, with what and where. */
public class ConfigException extends GloraException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the layer, term or value
     */
    public ConfigException(String message) {
        super(message);
    }
}
