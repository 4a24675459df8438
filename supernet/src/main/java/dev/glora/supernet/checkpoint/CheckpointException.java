package dev.glora.supernet.checkpoint;

import dev.glora.supernet.GloraException;

/** A checkpoint file or tensor set that cannot be used, saying which file, tensor and shape. */
public class CheckpointException extends GloraException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the file and tensor
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong
     * @param cause the underlying error
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
