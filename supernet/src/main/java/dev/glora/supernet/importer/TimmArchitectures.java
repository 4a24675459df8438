package dev.glora.supernet.importer;

import dev.glora.supernet.checkpoint.CheckpointException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * timm's plain ViT and DeiT model names and their pretrained tags, as timm 1.0's {@code
 * default_cfgs} state them: the shape of each model and the mean/std each tag's weights were
 * trained with. A name without a tag means timm's default tag (the first listed); timm's legacy
 * names ({@code vit_base_patch16_224_in21k}) map to the tag timm maps them to.
 */
public final class TimmArchitectures {

    private static final float[] INCEPTION_MEAN = {0.5f, 0.5f, 0.5f};
    private static final float[] INCEPTION_STD = {0.5f, 0.5f, 0.5f};
    private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /**
     * Per model: its tags as {@code tag:classes:norm}, norm {@code i} for 0.5/0.5, {@code n} for
     * ImageNet's.
     */
    private static final String[][] TAGS = {
        {"deit_base_patch16_224", "fb_in1k:1000:n"},
        {"deit_base_patch16_384", "fb_in1k:1000:n"},
        {"deit_small_patch16_224", "fb_in1k:1000:n"},
        {"deit_tiny_patch16_224", "fb_in1k:1000:n"},
        {
            "vit_base_patch16_224",
            "augreg2_in21k_ft_in1k:1000:i",
            "augreg_in21k_ft_in1k:1000:i",
            "orig_in21k_ft_in1k:1000:i",
            "augreg_in1k:1000:i",
            "orig_in21k:0:i",
            "augreg_in21k:21843:i",
            "sam_in1k:1000:i",
            "dino:0:n",
            "mae:0:n"
        },
        {
            "vit_base_patch16_384",
            "augreg_in21k_ft_in1k:1000:i",
            "orig_in21k_ft_in1k:1000:i",
            "augreg_in1k:1000:i"
        },
        {
            "vit_base_patch32_224",
            "augreg_in21k_ft_in1k:1000:i",
            "augreg_in1k:1000:i",
            "orig_in21k:0:i",
            "augreg_in21k:21843:i",
            "sam_in1k:1000:i"
        },
        {"vit_base_patch32_384", "augreg_in21k_ft_in1k:1000:i", "augreg_in1k:1000:i"},
        {
            "vit_large_patch16_224",
            "augreg_in21k_ft_in1k:1000:i",
            "orig_in21k:0:i",
            "augreg_in21k:21843:i",
            "mae:0:n"
        },
        {"vit_large_patch16_384", "augreg_in21k_ft_in1k:1000:i"},
        {"vit_large_patch32_224", "orig_in21k:0:i"},
        {"vit_large_patch32_384", "orig_in21k_ft_in1k:1000:i"},
        {
            "vit_small_patch16_224",
            "augreg_in21k_ft_in1k:1000:i",
            "augreg_in1k:1000:i",
            "augreg_in21k:21843:i",
            "dino:0:n"
        },
        {"vit_small_patch16_384", "augreg_in21k_ft_in1k:1000:i", "augreg_in1k:1000:i"},
        {"vit_small_patch32_224", "augreg_in21k_ft_in1k:1000:i", "augreg_in21k:21843:i"},
        {"vit_small_patch32_384", "augreg_in21k_ft_in1k:1000:i"},
        {"vit_tiny_patch16_224", "augreg_in21k_ft_in1k:1000:i", "augreg_in21k:21843:i"},
        {"vit_tiny_patch16_384", "augreg_in21k_ft_in1k:1000:i"},
    };

    /** timm's deprecated names, mapped as timm maps them. */
    private static final Map<String, String> LEGACY =
            Map.of(
                    "vit_tiny_patch16_224_in21k", "vit_tiny_patch16_224.augreg_in21k",
                    "vit_small_patch16_224_in21k", "vit_small_patch16_224.augreg_in21k",
                    "vit_small_patch32_224_in21k", "vit_small_patch32_224.augreg_in21k",
                    "vit_base_patch16_224_in21k", "vit_base_patch16_224.augreg_in21k",
                    "vit_base_patch32_224_in21k", "vit_base_patch32_224.augreg_in21k",
                    "vit_large_patch16_224_in21k", "vit_large_patch16_224.augreg_in21k",
                    "vit_large_patch32_224_in21k", "vit_large_patch32_224.orig_in21k");

    private static final Map<String, String[]> MODELS = new LinkedHashMap<>();

    static {
        for (String[] row : TAGS) {
            MODELS.put(row[0], Arrays.copyOfRange(row, 1, row.length));
        }
    }

    private TimmArchitectures() {}

    /**
     * One pretrained model of timm's table.
     *
     * @param name the full name, {@code model.tag}
     * @param imgSize input size in pixels
     * @param patchSize patch size
     * @param embedDim token width
     * @param depth blocks
     * @param numHeads attention heads
     * @param pretrainedClasses classes of the tag's own head (0: the weights have none)
     * @param mean per-channel mean the weights were trained with
     * @param std per-channel std
     */
    public record Named(
            String name,
            int imgSize,
            int patchSize,
            int embedDim,
            int depth,
            int numHeads,
            int pretrainedClasses,
            float[] mean,
            float[] std) {

        /** Copies the arrays. */
        public Named {
            mean = mean.clone();
            std = std.clone();
        }

        /**
         * @return the MLP hidden width (timm's mlp_ratio 4)
         */
        public int hiddenDim() {
            return embedDim * 4;
        }
    }

    /**
     * @param name a timm model name, with or without a pretrained tag, or a legacy name
     * @return the model
     * @throws CheckpointException naming the known models or tags when there is no such one
     */
    public static Named lookup(String name) {
        String full = LEGACY.getOrDefault(name, name);
        int dot = full.indexOf('.');
        String model = dot < 0 ? full : full.substring(0, dot);
        String[] tags = MODELS.get(model);
        if (tags == null) {
            throw new CheckpointException(
                    "unknown architecture \""
                            + name
                            + "\"; known: "
                            + String.join(", ", MODELS.keySet())
                            + " (each with an optional .tag), "
                            + String.join(", ", new TreeSet<>(LEGACY.keySet()))
                            + "; or leave --arch out and give --num-heads, --mean and --std");
        }
        String wanted = dot < 0 ? null : full.substring(dot + 1);
        for (String spec : tags) {
            String[] parts = spec.split(":");
            if (wanted == null || wanted.equals(parts[0])) {
                return named(model, parts);
            }
        }
        List<String> known = new ArrayList<>();
        for (String spec : tags) {
            known.add(model + "." + spec.split(":")[0]);
        }
        throw new CheckpointException(
                "unknown pretrained tag \""
                        + wanted
                        + "\" of "
                        + model
                        + "; known: "
                        + String.join(", ", known));
    }

    /**
     * @return every model name with its default tag first, for help texts
     */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        MODELS.forEach(
                (model, tags) -> {
                    for (String spec : tags) {
                        names.add(model + "." + spec.split(":")[0]);
                    }
                });
        return names;
    }

    private static Named named(String model, String[] tag) {
        int patch = Integer.parseInt(model.replaceAll(".*_patch(\\d+)_.*", "$1"));
        int img = Integer.parseInt(model.replaceAll(".*_(\\d+)$", "$1"));
        String size = model.replaceAll("^(vit|deit)_([a-z]+)_.*", "$2");
        int[] shape =
                switch (size) {
                    case "tiny" -> new int[] {192, 12, 3};
                    case "small" -> new int[] {384, 12, 6};
                    case "base" -> new int[] {768, 12, 12};
                    case "large" -> new int[] {1024, 24, 16};
                    default -> throw new IllegalStateException("no shape for " + model);
                };
        boolean inception = tag[2].equals("i");
        return new Named(
                model + "." + tag[0],
                img,
                patch,
                shape[0],
                shape[1],
                shape[2],
                Integer.parseInt(tag[1]),
                inception ? INCEPTION_MEAN : IMAGENET_MEAN,
                inception ? INCEPTION_STD : IMAGENET_STD);
    }
}
