package dev.glora.supernet.vit;

import dev.glora.supernet.checkpoint.CheckpointException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The shape of a timm VisionTransformer and how its inputs are normalised.
 *
 * @param imgSize input height and width in pixels
 * @param patchSize patch height and width; divides {@code imgSize}
 * @param inChans input channels (1 grey, 3 RGB)
 * @param embedDim token width D; divisible by {@code numHeads}
 * @param depth number of transformer blocks
 * @param numHeads attention heads
 * @param mlpRatio hidden width of the MLP over D
 * @param numClasses outputs of the head
 * @param qkvBias whether {@code attn.qkv} has a bias (timm's default: true)
 * @param mean per-channel mean subtracted after scaling pixels to [0,1]
 * @param std per-channel standard deviation divided by after subtracting the mean
 * @param layerNormEps the epsilon of every LayerNorm: timm's 1e-6 ({@link
 *     #DEFAULT_LAYER_NORM_EPS}), transformers' ViT 1e-12
 */
public record VitArchitecture(
        int imgSize,
        int patchSize,
        int inChans,
        int embedDim,
        int depth,
        int numHeads,
        double mlpRatio,
        int numClasses,
        boolean qkvBias,
        float[] mean,
        float[] std,
        float layerNormEps) {

    /**
     * timm's {@code partial(nn.LayerNorm, eps=1e-6)}; metadata names the epsilon only when it
     * differs.
     */
    public static final float DEFAULT_LAYER_NORM_EPS = 1e-6f;

    /** Metadata key: the architecture's name, a timm model name for an imported checkpoint. */
    public static final String NAME_KEY = "arch";

    /** Checks every extent, and that patches tile the image and heads split the width. */
    public VitArchitecture {
        positive("img_size", imgSize);
        positive("patch_size", patchSize);
        positive("in_chans", inChans);
        positive("embed_dim", embedDim);
        positive("depth", depth);
        positive("num_heads", numHeads);
        positive("num_classes", numClasses);
        if (imgSize % patchSize != 0) {
            throw new IllegalArgumentException(
                    "patch_size " + patchSize + " does not divide img_size " + imgSize);
        }
        if (embedDim % numHeads != 0) {
            throw new IllegalArgumentException(
                    "num_heads " + numHeads + " does not divide embed_dim " + embedDim);
        }
        if (!(mlpRatio > 0) || (int) (embedDim * mlpRatio) < 1) {
            throw new IllegalArgumentException("mlp_ratio must be positive, got " + mlpRatio);
        }
        if (mean.length != inChans || std.length != inChans) {
            throw new IllegalArgumentException(
                    "mean "
                            + Arrays.toString(mean)
                            + " and std "
                            + Arrays.toString(std)
                            + " need one value per channel ("
                            + inChans
                            + ")");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException(
                        "std must be positive, got " + Arrays.toString(std));
            }
        }
        if (!(layerNormEps > 0 && layerNormEps < 1)) {
            throw new IllegalArgumentException(
                    "layer_norm_eps must be in (0, 1), got " + layerNormEps);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * An architecture with timm's LayerNorm epsilon, 1e-6: every other parameter as the canonical
     * constructor's.
     */
    public VitArchitecture(
            int imgSize,
            int patchSize,
            int inChans,
            int embedDim,
            int depth,
            int numHeads,
            double mlpRatio,
            int numClasses,
            boolean qkvBias,
            float[] mean,
            float[] std) {
        this(
                imgSize,
                patchSize,
                inChans,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                numClasses,
                qkvBias,
                mean,
                std,
                DEFAULT_LAYER_NORM_EPS);
    }

    /**
     * @param bias whether {@code attn.qkv} has a bias
     * @return this architecture with or without it
     */
    public VitArchitecture withQkvBias(boolean bias) {
        return new VitArchitecture(
                imgSize,
                patchSize,
                inChans,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                numClasses,
                bias,
                mean,
                std,
                layerNormEps);
    }

    /**
     * @param eps another LayerNorm epsilon
     * @return this architecture with it
     */
    public VitArchitecture withLayerNormEps(float eps) {
        return new VitArchitecture(
                imgSize,
                patchSize,
                inChans,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                numClasses,
                qkvBias,
                mean,
                std,
                eps);
    }

    /**
     * @param size another input size (a multiple of the patch size)
     * @return this architecture at that input size
     */
    public VitArchitecture withImgSize(int size) {
        return new VitArchitecture(
                size,
                patchSize,
                inChans,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                numClasses,
                qkvBias,
                mean,
                std,
                layerNormEps);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /**
     * @param classes another class count
     * @return this architecture with a head for {@code classes} classes
     */
    public VitArchitecture withNumClasses(int classes) {
        return new VitArchitecture(
                imgSize,
                patchSize,
                inChans,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                classes,
                qkvBias,
                mean,
                std,
                layerNormEps);
    }

    /**
     * @param meta a checkpoint's metadata
     * @return the architecture's name: the recorded one (a timm name for imported checkpoints),
     *     else a description of its shape, else {@code unknown}
     */
    public static String nameOf(Map<String, String> meta) {
        String name = meta.get(NAME_KEY);
        if (name != null && !name.equals("inferred")) {
            return name;
        }
        if (!isDescribedBy(meta)) {
            return "unknown";
        }
        VitArchitecture arch = fromMetadata(meta, "metadata");
        return String.format(
                Locale.ROOT,
                "vit_custom_patch%d_%d (width %d, depth %d, heads %d)",
                arch.patchSize,
                arch.imgSize,
                arch.embedDim,
                arch.depth,
                arch.numHeads);
    }

    /** The memory one transformer block's inference intermediates may take per forward pass. */
    public static final long BLOCK_ACTIVATION_BUDGET = 256L << 20;

    /**
     * How many images one inference pass should hold, so that a block's intermediates (qkv, the
     * attention maps, the MLP's hidden states: about {@code 4·T·(22·D + 2·H·T)} bytes per image)
     * stay within {@link #BLOCK_ACTIVATION_BUDGET}. Small models get {@code requested} unchanged.
     *
     * @param requested the images per pass asked for
     * @return at most {@code requested}, at least 1
     */
    public int imagesPerPass(int requested) {
        return (int)
                Math.max(1, Math.min(requested, BLOCK_ACTIVATION_BUDGET / blockActivationBytes()));
    }

    /**
     * @return one image's intermediates in one transformer block, {@code 4·T·(22·D + 2·H·T)} bytes
     */
    private long blockActivationBytes() {
        return 4L * tokens() * (22L * embedDim + 2L * numHeads * tokens());
    }

    /**
     * The memory one training micro-batch's activations may take: every block's, kept for the
     * backward pass. Measured, not only a memory bound: at {@code vit-s16-224} on one thread, a
     * step of 64 images trains 1.42 times as fast in 4 micro-batches of 16 as whole (BENCHMARKS.md,
     * issue 32), since smaller intermediates are reused from the heap rather than mapped afresh.
     */
    public static final long TRAINING_ACTIVATION_BUDGET = 2L << 30;

    /**
     * How many micro-batches a training step is split into, so that each holds at most {@link
     * #TRAINING_ACTIVATION_BUDGET} of activations ({@code depth} blocks' intermediates per image):
     * 1 for small models and small images; 4 for ViT-S/16 at 224 pixels and a batch of 64.
     *
     * @param batchSize the images of a step
     * @return micro-batches, in [1, batchSize]
     */
    public int trainingMicroBatches(int batchSize) {
        long fit = Math.max(1, TRAINING_ACTIVATION_BUDGET / (depth * blockActivationBytes()));
        return (int) Math.max(1, Math.min(batchSize, (batchSize + fit - 1) / fit));
    }

    /**
     * @return the MLP's hidden width, {@code int(embedDim * mlpRatio)} as timm computes it
     */
    public int hiddenDim() {
        return (int) (embedDim * mlpRatio);
    }

    /**
     * @return the number of patches, (imgSize / patchSize)²
     */
    public int numPatches() {
        int side = imgSize / patchSize;
        return side * side;
    }

    /**
     * @return tokens per image: the patches plus the class token
     */
    public int tokens() {
        return numPatches() + 1;
    }

    /**
     * @return the safetensors metadata entries describing this architecture
     */
    public Map<String, String> toMetadata() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("img_size", Integer.toString(imgSize));
        meta.put("patch_size", Integer.toString(patchSize));
        meta.put("in_chans", Integer.toString(inChans));
        meta.put("embed_dim", Integer.toString(embedDim));
        meta.put("depth", Integer.toString(depth));
        meta.put("num_heads", Integer.toString(numHeads));
        meta.put("mlp_ratio", formatDouble(mlpRatio));
        meta.put("num_classes", Integer.toString(numClasses));
        meta.put("qkv_bias", Boolean.toString(qkvBias));
        meta.put("mean", join(mean));
        meta.put("std", join(std));
        if (layerNormEps != DEFAULT_LAYER_NORM_EPS) {
            meta.put("layer_norm_eps", Float.toString(layerNormEps));
        }
        return meta;
    }

    /**
     * Reads an architecture from safetensors metadata.
     *
     * @param meta the metadata
     * @param source the file, for error messages
     * @return the architecture
     * @throws CheckpointException if a key is missing or malformed
     */
    public static VitArchitecture fromMetadata(Map<String, String> meta, String source) {
        try {
            return new VitArchitecture(
                    integer(meta, "img_size", source),
                    integer(meta, "patch_size", source),
                    integer(meta, "in_chans", source),
                    integer(meta, "embed_dim", source),
                    integer(meta, "depth", source),
                    integer(meta, "num_heads", source),
                    Double.parseDouble(required(meta, "mlp_ratio", source)),
                    integer(meta, "num_classes", source),
                    Boolean.parseBoolean(meta.getOrDefault("qkv_bias", "true")),
                    floats(required(meta, "mean", source)),
                    floats(required(meta, "std", source)),
                    meta.containsKey("layer_norm_eps")
                            ? Float.parseFloat(meta.get("layer_norm_eps").trim())
                            : DEFAULT_LAYER_NORM_EPS);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(
                    source + ": architecture metadata is not valid: " + e.getMessage(), e);
        }
    }

    /**
     * @param meta safetensors metadata
     * @return whether it describes an architecture
     */
    public static boolean isDescribedBy(Map<String, String> meta) {
        return meta.containsKey("embed_dim") && meta.containsKey("depth");
    }

    private static String required(Map<String, String> meta, String key, String source) {
        String value = meta.get(key);
        if (value == null) {
            throw new CheckpointException(
                    source
                            + ": metadata has no \""
                            + key
                            + "\"; supply the architecture for a plain timm checkpoint");
        }
        return value;
    }

    private static int integer(Map<String, String> meta, String key, String source) {
        String value = required(meta, key, source);
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new CheckpointException(
                    source + ": metadata \"" + key + "\" is not an integer: " + value);
        }
    }

    /**
     * @param text comma-separated numbers, e.g. {@code 0.5,0.5,0.5}
     * @return the numbers
     */
    public static float[] floats(String text) {
        String[] parts = text.split(",");
        float[] values = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = Float.parseFloat(parts[i].trim());
        }
        return values;
    }

    private static String join(float[] values) {
        StringBuilder text = new StringBuilder();
        for (float v : values) {
            text.append(text.length() == 0 ? "" : ",").append(v);
        }
        return text.toString();
    }

    private static String formatDouble(double value) {
        return value == Math.rint(value)
                ? String.format(Locale.ROOT, "%.1f", value)
                : Double.toString(value);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof VitArchitecture that && toMetadata().equals(that.toMetadata());
    }

    @Override
    public int hashCode() {
        return toMetadata().hashCode();
    }

    @Override
    public String toString() {
        return "VitArchitecture" + toMetadata();
    }
}
