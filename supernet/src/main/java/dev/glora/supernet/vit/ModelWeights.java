package dev.glora.supernet.vit;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds checkpoint tensors to a block tree by timm parameter name, and reads them back.
 *
 * <p>DJL prefixes child names with their index ({@code 01patch_embed}); the timm name of a
 * parameter is the path of child names without those prefixes, joined by dots, then the parameter's
 * own name: {@code blocks.3.attn.qkv.weight}.
 */
public final class ModelWeights {

    private static final int MAX_LISTED = 20;

    private ModelWeights() {}

    /**
     * @param block the root block
     * @return every parameter under it by timm name, in model order
     */
    public static Map<String, Parameter> named(Block block) {
        Map<String, Parameter> named = new LinkedHashMap<>();
        collect("", block, named);
        return named;
    }

    private static void collect(String prefix, Block block, Map<String, Parameter> named) {
        for (Parameter parameter : block.getDirectParameters().values()) {
            named.put(prefix + parameter.getName(), parameter);
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(
                    prefix + child.getKey().replaceFirst("^\\d+", "") + ".",
                    child.getValue(),
                    named);
        }
    }

    /**
     * Fills every parameter of {@code block} from {@code checkpoint} and initializes the block. The
     * checkpoint must hold exactly the block's tensors, with exactly their shapes.
     *
     * @param block the root block, not yet initialized
     * @param inputShape the shape of one input batch
     * @param checkpoint the tensors
     * @param manager the manager that will own the parameter arrays
     * @param source where the tensors came from, for error messages
     * @throws CheckpointException listing every missing, unexpected and misshaped tensor
     */
    public static void load(
            Block block,
            Shape inputShape,
            Checkpoint checkpoint,
            NDManager manager,
            String source) {
        Map<String, Parameter> named = named(block);
        check(named, checkpoint.tensors(), source);
        named.forEach(
                (name, parameter) -> {
                    Tensor tensor = checkpoint.tensors().get(name);
                    parameter.setInitializer((m, shape, dataType) -> tensor.toNDArray(m));
                });
        block.initialize(manager, DataType.FLOAT32, inputShape);
    }

    /**
     * Checks, without building anything, that {@code tensors} are exactly the tensors of {@code
     * block} with their shapes.
     *
     * @param block an uninitialized block
     * @param tensors tensors by timm name
     * @param source where the tensors came from, for error messages
     * @throws CheckpointException listing every missing, unexpected and misshaped tensor
     */
    public static void check(Block block, Map<String, Tensor> tensors, String source) {
        check(named(block), tensors, source);
    }

    /**
     * Checks tensor shapes, without their values, against a block's parameters: what an import that
     * streams its tensors checks before it reads any.
     *
     * @param block the model
     * @param shapes each tensor's shape by name
     * @param source what to name in the error
     * @throws CheckpointException listing what is missing, extra or misshapen
     */
    public static void checkShapes(Block block, Map<String, long[]> shapes, String source) {
        checkShapes(named(block), shapes, source);
    }

    private static void check(
            Map<String, Parameter> named, Map<String, Tensor> tensors, String source) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> shapes.put(name, tensor.shape()));
        checkShapes(named, shapes, source);
    }

    private static void checkShapes(
            Map<String, Parameter> named, Map<String, long[]> tensors, String source) {
        List<String> problems = new ArrayList<>();
        named.forEach(
                (name, parameter) -> {
                    long[] tensor = tensors.get(name);
                    long[] expected = parameter.getShape().getShape();
                    if (tensor == null) {
                        problems.add(
                                "missing tensor "
                                        + name
                                        + " (expected shape "
                                        + Arrays.toString(expected)
                                        + ")");
                    } else if (!Arrays.equals(expected, tensor)) {
                        problems.add(
                                "tensor "
                                        + name
                                        + ": expected shape "
                                        + Arrays.toString(expected)
                                        + ", found "
                                        + Arrays.toString(tensor));
                    }
                });
        tensors.forEach(
                (name, tensor) -> {
                    if (!named.containsKey(name)) {
                        problems.add("unexpected tensor " + name + " " + Arrays.toString(tensor));
                    }
                });
        if (!problems.isEmpty()) {
            List<String> listed = problems.subList(0, Math.min(problems.size(), MAX_LISTED));
            String more =
                    problems.size() > MAX_LISTED
                            ? "; and " + (problems.size() - MAX_LISTED) + " more"
                            : "";
            throw new CheckpointException(
                    source
                            + ": tensors do not match the model ("
                            + problems.size()
                            + " problems): "
                            + String.join("; ", listed)
                            + more);
        }
    }

    /**
     * Copies every parameter of an initialized block to the heap.
     *
     * @param block the root block
     * @return the tensors by timm name, in model order
     */
    public static Map<String, Tensor> snapshot(Block block) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        named(block)
                .forEach((name, parameter) -> tensors.put(name, Tensor.of(parameter.getArray())));
        return tensors;
    }

    /**
     * The tensor names and shapes a model of this architecture holds, without building it.
     *
     * @param block an uninitialized block
     * @return the expected shape of every parameter, by timm name
     */
    public static Map<String, Shape> shapes(Block block) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        named(block).forEach((name, parameter) -> shapes.put(name, parameter.getShape()));
        return shapes;
    }
}
