package dev.glora.supernet.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * A dense float32 tensor in row-major order, held on the Java heap.
 *
 * <p>Treat the arrays as read-only: tensors are shared between checkpoints without copying.
 *
 * @param shape the extent of every axis
 * @param data the values, {@code product(shape)} of them
 */
public record Tensor(long[] shape, float[] data) {

    /** Checks that the data fills the shape exactly. */
    public Tensor {
        long count = 1;
        for (long extent : shape) {
            if (extent < 0) {
                throw new IllegalArgumentException(
                        "negative extent in shape " + Arrays.toString(shape));
            }
            count *= extent;
        }
        if (count != data.length) {
            throw new IllegalArgumentException(
                    "shape "
                            + Arrays.toString(shape)
                            + " holds "
                            + count
                            + " values, data has "
                            + data.length);
        }
    }

    /**
     * @param shape the shape
     * @return a tensor of zeros
     */
    public static Tensor zeros(long... shape) {
        return new Tensor(shape, new float[Math.toIntExact(new Shape(shape).size())]);
    }

    /**
     * Copies an NDArray to the heap.
     *
     * @param array any float32 array
     * @return its values
     */
    public static Tensor of(NDArray array) {
        return new Tensor(
                array.getShape().getShape(), array.toType(DataType.FLOAT32, false).toFloatArray());
    }

    /**
     * @param manager the manager that will own the array
     * @return a new NDArray with these values
     */
    public NDArray toNDArray(NDManager manager) {
        return manager.create(data, new Shape(shape));
    }

    /**
     * @return the shape written as {@code [288, 96]}
     */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    /**
     * @param other another tensor
     * @return whether both have the same shape and bit-identical values
     */
    public boolean sameAs(Tensor other) {
        return Arrays.equals(shape, other.shape) && Arrays.equals(data, other.data);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Tensor that && sameAs(that);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + shapeString();
    }
}
