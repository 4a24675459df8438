package dev.glora.supernet.checkpoint;

/** IEEE 754 half precision (binary16) to float32, for checkpoints stored in F16. */
public final class Float16 {

    private Float16() {}

    /**
     * @param half the 16 bits of a binary16 value
     * @return the same value as a float (exact: every binary16 value is a float)
     */
    public static float toFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa * 0x1p-24f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
