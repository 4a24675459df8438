package dev.glora.supernet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.glora.supernet.checkpoint.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) with decoupled weight decay, β = (0.9, 0.999), ε = 1e-8: \(w
 * \leftarrow w - \eta\lambda w\); \(m \leftarrow \beta_1 m + (1-\beta_1) g\); \(v \leftarrow
 * \beta_2 v + (1-\beta_2) g^2\); \(w \leftarrow w - \eta \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
 * \frac{m}{\sqrt v + \epsilon}\).
 *
 * <p>One fused native call per parameter (DJL's PyTorch {@code adamUpdate}). A parameter that has
 * never received a gradient is skipped; once it has, it is updated every step (zeroed gradients
 * between steps, as PyTorch 1.x's {@code zero_grad()}). The moments live in this optimiser's own
 * manager, outside every batch scope.
 */
public final class AdamW implements AutoCloseable {

    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPS = 1e-8f;

    private final NDManager manager;
    private final Map<String, Parameter> parameters;
    private final Map<String, NDArray> mean = new LinkedHashMap<>();
    private final Map<String, NDArray> variance = new LinkedHashMap<>();
    private final double weightDecay;
    private long step;

    /**
     * @param manager owns the moments; the caller closes it after this optimiser
     * @param parameters the parameters to update, by name
     * @param weightDecay the decoupled weight decay λ
     */
    public AdamW(NDManager manager, Map<String, Parameter> parameters, double weightDecay) {
        this.manager = manager;
        this.parameters = parameters;
        this.weightDecay = weightDecay;
        parameters.forEach(
                (name, parameter) -> {
                    mean.put(name, manager.zeros(parameter.getArray().getShape()));
                    variance.put(name, manager.zeros(parameter.getArray().getShape()));
                });
    }

    /**
     * @return the steps taken so far
     */
    public long steps() {
        return step;
    }

    /**
     * Updates every parameter from its gradient, then zeroes the gradients. Run it with gradient
     * recording off, inside the batch's scope (the gradient handles it opens are the scope's).
     *
     * @param lr the learning rate η of this step
     */
    public void step(double lr) {
        step++;
        double correction = Math.sqrt(1 - Math.pow(BETA2, step)) / (1 - Math.pow(BETA1, step));
        parameters.forEach(
                (name, parameter) -> {
                    PtNDArray weight = (PtNDArray) parameter.getArray();
                    if (!weight.hasGradient()) {
                        return;
                    }
                    PtNDArray grad = (PtNDArray) weight.getGradient();
                    JniUtils.adamUpdate(
                            weight,
                            grad,
                            (PtNDArray) mean.get(name),
                            (PtNDArray) variance.get(name),
                            (float) lr,
                            (float) (lr * correction),
                            (float) weightDecay,
                            1f,
                            -1f,
                            BETA1,
                            BETA2,
                            EPS,
                            true);
                    JniUtils.zeroGrad(weight);
                });
    }

    /**
     * @return the moments as {@code adamw.m.<name>} and {@code adamw.v.<name>}, for a resume file
     */
    public Map<String, Tensor> state() {
        Map<String, Tensor> state = new LinkedHashMap<>();
        mean.forEach((name, m) -> state.put("adamw.m." + name, Tensor.of(m)));
        variance.forEach((name, v) -> state.put("adamw.v." + name, Tensor.of(v)));
        return state;
    }

    /**
     * Restores the moments and the step count of an interrupted run.
     *
     * @param state tensors as {@link #state()} wrote them
     * @param steps the steps taken
     * @param source the file, for error messages
     */
    public void restore(Map<String, Tensor> state, long steps, String source) {
        for (String name : parameters.keySet()) {
            for (String kind : new String[] {"m", "v"}) {
                Tensor saved = state.get("adamw." + kind + "." + name);
                NDArray target = (kind.equals("m") ? mean : variance).get(name);
                if (saved == null || saved.data().length != target.size()) {
                    throw new TrainingException(
                            source
                                    + ": no optimiser state adamw."
                                    + kind
                                    + "."
                                    + name
                                    + " of the right size; the file is from another model");
                }
                target.set(saved.data());
            }
        }
        this.step = steps;
    }

    @Override
    public void close() {
        mean.values().forEach(NDArray::close);
        variance.values().forEach(NDArray::close);
    }
}
