package dev.glora.supernet.train;

import dev.glora.supernet.GloraException;

/** A training run that cannot go on: a non-finite loss, or a resume file from another run. */
public class TrainingException extends GloraException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened and when (epoch and step)
     */
    public TrainingException(String message) {
        super(message);
    }
}
