package dev.glora.supernet.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.HashMap;
import java.util.Map;

/**
 * A parameter store that serves chosen parameters from arrays set per forward pass (a subnet's
 * merged weights) and every other parameter from the parameter itself. No weight is copied.
 */
final class OverrideStore extends ParameterStore {

    private final Map<Parameter, NDArray> overrides = new HashMap<>();
    private final Map<Parameter, NDArray> kept = new HashMap<>();

    /**
     * @param manager the manager of the store
     */
    OverrideStore(NDManager manager) {
        super(manager, false);
    }

    /**
     * @param parameter a parameter
     * @param value the array to serve instead of its own, until {@link #clear()}
     */
    void put(Parameter parameter, NDArray value) {
        overrides.put(parameter, value);
    }

    /**
     * @param parameter a parameter
     * @param value the array to serve instead of its own whenever no per-pass override is set,
     *     across {@link #clear()} (a copy of the network in another number format)
     */
    void keep(Parameter parameter, NDArray value) {
        kept.put(parameter, value);
    }

    /** Drops the per-pass overrides: each parameter is served its kept array, or its own. */
    void clear() {
        overrides.clear();
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        NDArray value = overrides.get(parameter);
        if (value == null) {
            value = kept.get(parameter);
        }
        return value != null ? value : super.getValue(parameter, device, training);
    }
}
