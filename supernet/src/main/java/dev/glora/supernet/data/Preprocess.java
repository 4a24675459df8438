package dev.glora.supernet.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.glora.supernet.vit.VitArchitecture;

/**
 * Turns images into a model's input: channels converted (grey to RGB by repetition, RGB to grey by
 * ITU-R BT.601 luma, as PIL's {@code convert("L")}), resized to the model's square input ({@link
 * Image#resized}), scaled to [0,1] and normalised with the mean and std the model records: \(x' =
 * (p / 255 - \mu_c) / \sigma_c\).
 */
public final class Preprocess {

    private final int size;
    private final int channels;
    private final float[] mean;
    private final float[] std;
    private final VitArchitecture arch;

    /**
     * @param arch the model the input is for
     */
    public Preprocess(VitArchitecture arch) {
        this.arch = arch;
        this.size = arch.imgSize();
        this.channels = arch.inChans();
        this.mean = arch.mean();
        this.std = arch.std();
        if (channels != 1 && channels != 3) {
            throw new DataException("images can feed models of 1 or 3 channels, not " + channels);
        }
    }

    /**
     * @return the model the input is for
     */
    public VitArchitecture architecture() {
        return arch;
    }

    /**
     * @return the model's input channels C
     */
    public int channels() {
        return channels;
    }

    /**
     * @return the model's input side H = W
     */
    public int size() {
        return size;
    }

    /**
     * @return the values of one preprocessed image, C * H * W
     */
    public int imageLength() {
        return channels * size * size;
    }

    /**
     * @param data a data set
     * @param indices which of its images, in batch order
     * @return the batch, (B, C, H, W) flattened
     */
    public float[] batch(ImageDataset data, int[] indices) {
        float[] out = new float[indices.length * imageLength()];
        for (int b = 0; b < indices.length; b++) {
            write(data.images().get(indices[b]), out, b * imageLength());
        }
        return out;
    }

    /**
     * @param manager the manager that will own the array
     * @param data a data set
     * @param indices which of its images, in batch order
     * @return the batch as a (B, C, H, W) float32 array
     */
    public NDArray images(NDManager manager, ImageDataset data, int[] indices) {
        return manager.create(
                batch(data, indices), new Shape(indices.length, channels, size, size));
    }

    /**
     * @param image an image
     * @param out receives C * H * W values
     * @param offset where in {@code out} they start
     */
    public void write(Image image, float[] out, int offset) {
        Image fitted = withChannels(image);
        if (fitted.height() != size || fitted.width() != size) {
            fitted = fitted.resized(size, size);
        }
        byte[] pixels = fitted.pixels();
        int plane = size * size;
        for (int c = 0; c < channels; c++) {
            float scale = 1f / (255f * std[c]);
            float shift = mean[c] / std[c];
            for (int i = 0; i < plane; i++) {
                out[offset + c * plane + i] = (pixels[c * plane + i] & 0xff) * scale - shift;
            }
        }
    }

    private Image withChannels(Image image) {
        if (image.channels() == channels) {
            return image;
        }
        int plane = image.height() * image.width();
        byte[] src = image.pixels();
        if (channels == 3) {
            byte[] rgb = new byte[3 * plane];
            for (int c = 0; c < 3; c++) {
                System.arraycopy(src, 0, rgb, c * plane, plane);
            }
            return new Image(3, image.height(), image.width(), rgb);
        }
        byte[] grey = new byte[plane];
        for (int i = 0; i < plane; i++) {
            double luma =
                    0.299 * (src[i] & 0xff)
                            + 0.587 * (src[plane + i] & 0xff)
                            + 0.114 * (src[2 * plane + i] & 0xff);
            grey[i] = (byte) Math.round(luma);
        }
        return new Image(1, image.height(), image.width(), grey);
    }
}
