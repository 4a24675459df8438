package dev.glora.supernet.importer;

import dev.glora.supernet.checkpoint.Tensor;
import java.util.Arrays;

/** Axis permutations and reshapes of heap tensors, for converting foreign layouts to timm's. */
final class TensorLayout {

    private TensorLayout() {}

    /**
     * @param t a tensor
     * @param axes the new order of its axes ({@code numpy.transpose} semantics)
     * @return a row-major copy with {@code shape[i] = t.shape[axes[i]]}
     */
    static Tensor permute(Tensor t, int... axes) {
        long[] in = t.shape();
        if (axes.length != in.length) {
            throw new IllegalArgumentException(
                    "permute " + Arrays.toString(axes) + " of " + t.shapeString());
        }
        int rank = in.length;
        long[] out = new long[rank];
        long[] inStride = new long[rank];
        long stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            inStride[i] = stride;
            stride *= in[i];
        }
        long[] strideOfOut = new long[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = in[axes[i]];
            strideOfOut[i] = inStride[axes[i]];
        }
        float[] src = t.data();
        float[] dst = new float[src.length];
        int[] index = new int[rank];
        long offset = 0;
        for (int n = 0; n < dst.length; n++) {
            dst[n] = src[(int) offset];
            for (int axis = rank - 1; axis >= 0; axis--) {
                index[axis]++;
                offset += strideOfOut[axis];
                if (index[axis] < out[axis]) {
                    break;
                }
                offset -= strideOfOut[axis] * out[axis];
                index[axis] = 0;
            }
        }
        return new Tensor(out, dst);
    }

    /**
     * @param t a tensor
     * @param shape the new shape, with as many values
     * @return the same values under {@code shape} (no copy)
     */
    static Tensor reshape(Tensor t, long... shape) {
        return new Tensor(shape, t.data());
    }

    /**
     * @param parts tensors whose shapes agree past the first axis
     * @return their concatenation along the first axis
     */
    static Tensor concat(Tensor... parts) {
        long first = 0;
        int total = 0;
        for (Tensor part : parts) {
            first += part.shape()[0];
            total += part.data().length;
        }
        long[] shape = parts[0].shape().clone();
        shape[0] = first;
        float[] data = new float[total];
        int at = 0;
        for (Tensor part : parts) {
            System.arraycopy(part.data(), 0, data, at, part.data().length);
            at += part.data().length;
        }
        return new Tensor(shape, data);
    }
}
