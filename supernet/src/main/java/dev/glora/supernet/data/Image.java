package dev.glora.supernet.data;

/**
 * One 8-bit image, channel-major: pixel (c, y, x) is {@code pixels[(c * height + y) * width + x]},
 * 0 to 255. One channel is grey, three are RGB.
 *
 * @param channels 1 or 3
 * @param height rows
 * @param width columns
 * @param pixels {@code channels * height * width} bytes, read as unsigned
 */
public record Image(int channels, int height, int width, byte[] pixels) {

    /** The most pixels an image may have (8192 x 8192): larger ones are refused before decoding. */
    public static final long MAX_PIXELS = 8192L * 8192;

    /** Checks the extents against the pixel count. */
    public Image {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("an image has 1 or 3 channels, got " + channels);
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException(
                    "image extents must be positive, got " + height + "x" + width);
        }
        if (pixels.length != channels * height * width) {
            throw new IllegalArgumentException(
                    "a "
                            + channels
                            + "x"
                            + height
                            + "x"
                            + width
                            + " image needs "
                            + channels * height * width
                            + " pixels, got "
                            + pixels.length);
        }
    }

    /**
     * @param height rows
     * @param width columns
     * @return a black one-channel image
     */
    public static Image blankGrey(int height, int width) {
        return new Image(1, height, width, new byte[height * width]);
    }

    /**
     * @param c channel
     * @param y row
     * @param x column
     * @return the pixel, 0 to 255
     */
    public int at(int c, int y, int x) {
        return pixels[(c * height + y) * width + x] & 0xff;
    }

    /**
     * @param c channel
     * @param y row
     * @param x column
     * @param value 0 to 255
     */
    public void set(int c, int y, int x, int value) {
        pixels[(c * height + y) * width + x] = (byte) value;
    }

    /**
     * Resizes every channel: area averaging when shrinking (no aliasing), bilinear interpolation
     * with aligned pixel centres when enlarging, a copy at the same size.
     *
     * @param newHeight rows of the result
     * @param newWidth columns of the result
     * @return the resized image, values rounded to the nearest integer
     */
    public Image resized(int newHeight, int newWidth) {
        float[] plane = new float[newHeight * newWidth];
        byte[] out = new byte[channels * newHeight * newWidth];
        for (int c = 0; c < channels; c++) {
            Resize.channel(this, c, newHeight, newWidth, plane);
            for (int i = 0; i < plane.length; i++) {
                out[c * plane.length + i] =
                        (byte) Math.round(Math.min(255f, Math.max(0f, plane[i])));
            }
        }
        return new Image(channels, newHeight, newWidth, out);
    }
}
