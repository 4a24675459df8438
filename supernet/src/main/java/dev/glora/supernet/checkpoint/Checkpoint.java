package dev.glora.supernet.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A set of named tensors and string metadata: what a safetensors file holds.
 *
 * @param tensors the tensors by timm parameter name, in file order
 * @param metadata the {@code __metadata__} entries
 */
public record Checkpoint(Map<String, Tensor> tensors, Map<String, String> metadata) {

    /** Freezes both maps, keeping their order. */
    public Checkpoint {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * @param name a tensor name
     * @return the tensor
     * @throws CheckpointException if there is none of that name
     */
    public Tensor tensor(String name) {
        Tensor tensor = tensors.get(name);
        if (tensor == null) {
            throw new CheckpointException("missing tensor " + name);
        }
        return tensor;
    }

    /**
     * @param key a metadata key
     * @return its value
     * @throws CheckpointException if the metadata has no such key
     */
    public String meta(String key) {
        String value = metadata.get(key);
        if (value == null) {
            throw new CheckpointException("metadata has no \"" + key + "\"");
        }
        return value;
    }
}
