package dev.glora.supernet.importer;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hugging Face transformers' ViT layout ({@code ViTModel}, {@code ViTForImageClassification})
 * mapped to timm's names and back, as transformers' own conversion script ({@code
 * models/vit/convert_vit_timm_to_pytorch.py}, {@code create_rename_keys} and {@code read_in_q_k_v})
 * maps them: {@code layernorm_before/after} are {@code norm1/norm2}, {@code
 * attention.attention.query/key/value} are the three thirds of {@code attn.qkv} (rows 0..D-1,
 * D..2D-1, 2D..3D-1), {@code attention.output.dense} is {@code attn.proj}, {@code
 * intermediate.dense}/{@code output.dense} are {@code mlp.fc1}/{@code mlp.fc2}, {@code
 * vit.layernorm} is {@code norm} and {@code classifier} is {@code head}. A {@code ViTModel}'s names
 * lack the {@code vit.} prefix; its {@code pooler} (dense + tanh) is not part of timm's ViT and is
 * dropped, as is a masked-image model's {@code mask_token}.
 *
 * <p>transformers' ViT normalises with {@code layer_norm_eps} (1e-12 by default, timm 1e-6): the
 * architecture carries it and every LayerNorm here uses it.
 */
public final class TransformersVit {

    /** The weights file of a transformers folder. */
    public static final String WEIGHTS = "model.safetensors";

    /** The model's configuration in a transformers folder. */
    public static final String CONFIG = "config.json";

    /** The image processor's configuration in a transformers folder. */
    public static final String PREPROCESSOR = "preprocessor_config.json";

    /** transformers' default {@code layer_norm_eps} for ViT. */
    public static final float DEFAULT_EPS = 1e-12f;

    private static final String PATCH = "embeddings.patch_embeddings.projection.weight";

    private TransformersVit() {}

    /**
     * What a transformers folder's {@code config.json} and {@code preprocessor_config.json} say;
     * every field is null where they do not say it.
     *
     * @param numHeads {@code num_attention_heads}
     * @param layerNormEps {@code layer_norm_eps}
     * @param qkvBias {@code qkv_bias}
     * @param mean the image processor's {@code image_mean}
     * @param std the image processor's {@code image_std}
     * @param labels {@code id2label} in label order
     */
    public record Config(
            Integer numHeads,
            Float layerNormEps,
            Boolean qkvBias,
            float[] mean,
            float[] std,
            List<String> labels) {

        /**
         * @return nothing known: a weights file on its own
         */
        public static Config none() {
            return new Config(null, null, null, null, null, List.of());
        }
    }

    /**
     * @param names a safetensors file's tensor names
     * @return whether they are in transformers' ViT layout
     */
    public static boolean isTransformers(Collection<String> names) {
        return names.contains(PATCH) || names.contains("vit." + PATCH);
    }

    /**
     * Reads the configuration files beside a weights file, if they are there.
     *
     * @param folder the folder of {@code model.safetensors}
     * @return what they say
     * @throws CheckpointException naming the file if one is there and is not what transformers
     *     writes (another architecture, an activation other than the exact GELU)
     */
    public static Config config(Path folder) {
        Path configFile = folder.resolve(CONFIG);
        Integer heads = null;
        Float eps = null;
        Boolean qkvBias = null;
        List<String> labels = List.of();
        if (Files.isRegularFile(configFile)) {
            JsonObject config = json(configFile);
            String type = config.has("model_type") ? config.get("model_type").getAsString() : null;
            if (type != null && !type.equals("vit")) {
                throw new CheckpointException(
                        configFile
                                + ": model_type is '"
                                + type
                                + "'; only transformers' ViT"
                                + " (model_type vit) is read");
            }
            String act = config.has("hidden_act") ? config.get("hidden_act").getAsString() : "gelu";
            if (!act.equals("gelu")) {
                throw new CheckpointException(
                        configFile
                                + ": hidden_act is '"
                                + act
                                + "'; the ViT here computes the"
                                + " exact (erf) GELU, transformers' 'gelu'");
            }
            heads =
                    config.has("num_attention_heads")
                            ? config.get("num_attention_heads").getAsInt()
                            : null;
            eps =
                    config.has("layer_norm_eps")
                            ? config.get("layer_norm_eps").getAsFloat()
                            : DEFAULT_EPS;
            qkvBias = config.has("qkv_bias") ? config.get("qkv_bias").getAsBoolean() : null;
            if (config.has("id2label") && config.get("id2label").isJsonObject()) {
                JsonObject id2label = config.getAsJsonObject("id2label");
                List<String> names = new ArrayList<>();
                for (int i = 0; i < id2label.size(); i++) {
                    JsonElement name = id2label.get(Integer.toString(i));
                    if (name == null) {
                        names = List.of();
                        break;
                    }
                    names.add(name.getAsString());
                }
                labels = names;
            }
        }
        float[] mean = null;
        float[] std = null;
        Path preprocessor = folder.resolve(PREPROCESSOR);
        if (Files.isRegularFile(preprocessor)) {
            JsonObject p = json(preprocessor);
            mean = p.has("image_mean") ? floats(p.getAsJsonArray("image_mean")) : null;
            std = p.has("image_std") ? floats(p.getAsJsonArray("image_std")) : null;
        }
        return new Config(heads, eps, qkvBias, mean, std, labels);
    }

    private static JsonObject json(Path file) {
        try {
            if (Files.size(file) > 1 << 20) {
                throw new CheckpointException(
                        file + ": over 1 MiB, not a transformers configuration");
            }
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            if (e instanceof CheckpointException c) {
                throw c;
            }
            throw new CheckpointException(file + ": not a JSON object: " + e.getMessage(), e);
        }
    }

    private static float[] floats(JsonArray array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsFloat();
        }
        return values;
    }

    /**
     * The tensors of a transformers ViT under timm's names.
     *
     * @param tensors by transformers name
     * @param dropped where each thing left out is recorded, with why
     * @param source the file, for error messages
     * @return the tensors by timm name, in timm's order
     * @throws CheckpointException if a tensor is missing or one is left that this layout does not
     *     have
     */
    public static Map<String, Tensor> toTimm(
            Map<String, Tensor> tensors, List<String> dropped, String source) {
        String prefix = tensors.containsKey("vit." + PATCH) ? "vit." : "";
        Map<String, Tensor> left = new LinkedHashMap<>(tensors);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("cls_token", take(left, prefix + "embeddings.cls_token", source));
        out.put("pos_embed", take(left, prefix + "embeddings.position_embeddings", source));
        out.put("patch_embed.proj.weight", take(left, prefix + PATCH, source));
        out.put(
                "patch_embed.proj.bias",
                take(left, prefix + "embeddings.patch_embeddings.projection.bias", source));
        for (int i = 0;
                left.containsKey(prefix + "encoder.layer." + i + ".layernorm_before.weight");
                i++) {
            String h = prefix + "encoder.layer." + i + ".";
            String t = "blocks." + i + ".";
            for (String[] pair : LAYER_NAMES) {
                if (pair[0].equals("qkv")) {
                    Tensor[] weights = new Tensor[3];
                    for (int k = 0; k < 3; k++) {
                        weights[k] =
                                take(left, h + "attention.attention." + QKV[k] + ".weight", source);
                    }
                    out.put(t + "attn.qkv.weight", TensorLayout.concat(weights));
                    if (left.containsKey(h + "attention.attention.query.bias")) {
                        Tensor[] biases = new Tensor[3];
                        for (int k = 0; k < 3; k++) {
                            biases[k] =
                                    take(
                                            left,
                                            h + "attention.attention." + QKV[k] + ".bias",
                                            source);
                        }
                        out.put(t + "attn.qkv.bias", TensorLayout.concat(biases));
                    }
                } else {
                    out.put(t + pair[0], take(left, h + pair[1], source));
                }
            }
        }
        if (!out.containsKey("blocks.0.norm1.weight")) {
            throw new CheckpointException(
                    source + ": no " + prefix + "encoder.layer.0 tensors (not a transformers ViT)");
        }
        out.put("norm.weight", take(left, prefix + "layernorm.weight", source));
        out.put("norm.bias", take(left, prefix + "layernorm.bias", source));
        if (left.containsKey("classifier.weight")) {
            out.put("head.weight", take(left, "classifier.weight", source));
            out.put("head.bias", take(left, "classifier.bias", source));
        }
        if (left.remove(prefix + "pooler.dense.weight") != null) {
            left.remove(prefix + "pooler.dense.bias");
            dropped.add(
                    "pooler.dense (ViTModel's dense + tanh pooler): timm's ViT classifies the class token"
                            + " without it");
        }
        if (left.remove(prefix + "embeddings.mask_token") != null) {
            dropped.add("embeddings.mask_token (masked-image modelling only)");
        }
        if (!left.isEmpty()) {
            throw new CheckpointException(
                    source
                            + ": tensors transformers' ViT layout does not have (another"
                            + " architecture?): "
                            + String.join(", ", new TreeSet<>(left.keySet())));
        }
        return out;
    }

    private static final String[] QKV = {"query", "key", "value"};

    /** timm's name within a block, transformers' within a layer; "qkv" is joined from three. */
    private static final String[][] LAYER_NAMES = {
        {"norm1.weight", "layernorm_before.weight"},
        {"norm1.bias", "layernorm_before.bias"},
        {"qkv", null},
        {"attn.proj.weight", "attention.output.dense.weight"},
        {"attn.proj.bias", "attention.output.dense.bias"},
        {"norm2.weight", "layernorm_after.weight"},
        {"norm2.bias", "layernorm_after.bias"},
        {"mlp.fc1.weight", "intermediate.dense.weight"},
        {"mlp.fc1.bias", "intermediate.dense.bias"},
        {"mlp.fc2.weight", "output.dense.weight"},
        {"mlp.fc2.bias", "output.dense.bias"},
    };

    private static Tensor take(Map<String, Tensor> left, String name, String source) {
        Tensor t = left.remove(name);
        if (t == null) {
            throw new CheckpointException(source + ": missing tensor " + name);
        }
        return t;
    }

    /**
     * Writes a plain timm-named ViT as a transformers {@code ViTForImageClassification} folder:
     * {@code model.safetensors} in transformers' names, {@code config.json} and {@code
     * preprocessor_config.json}, so that {@code ViTForImageClassification.from_pretrained} and
     * {@code AutoImageProcessor.from_pretrained} read it.
     *
     * @param plain a plain (merged) checkpoint in timm's names
     * @param arch its architecture
     * @param labels class names in label order, or empty
     * @param folder the folder to write (made if missing)
     * @throws CheckpointException if a tensor is missing
     * @throws IOException if the folder cannot be written
     */
    public static void write(
            Checkpoint plain, VitArchitecture arch, List<String> labels, Path folder)
            throws IOException {
        Map<String, Tensor> out = fromTimm(plain.tensors(), arch);
        Files.createDirectories(folder);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt"); // what transformers' safetensors loader expects to find
        String producer = plain.metadata().get("producer");
        if (producer != null) {
            metadata.put("producer", producer);
        }
        Safetensors.write(new Checkpoint(out, metadata), folder.resolve(WEIGHTS));
        Files.writeString(folder.resolve(CONFIG), configJson(arch, labels));
        Files.writeString(folder.resolve(PREPROCESSOR), preprocessorJson(arch));
    }

    /**
     * @param timm tensors by timm name
     * @param arch the architecture
     * @return the same tensors by {@code ViTForImageClassification} name, q, k and v split out of
     *     qkv
     */
    static Map<String, Tensor> fromTimm(Map<String, Tensor> timm, VitArchitecture arch) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("vit.embeddings.cls_token", need(timm, "cls_token"));
        out.put("vit.embeddings.position_embeddings", need(timm, "pos_embed"));
        out.put("vit." + PATCH, need(timm, "patch_embed.proj.weight"));
        out.put(
                "vit.embeddings.patch_embeddings.projection.bias",
                need(timm, "patch_embed.proj.bias"));
        int dim = arch.embedDim();
        for (int i = 0; i < arch.depth(); i++) {
            String h = "vit.encoder.layer." + i + ".";
            String t = "blocks." + i + ".";
            for (String[] pair : LAYER_NAMES) {
                if (!pair[0].equals("qkv")) {
                    out.put(h + pair[1], need(timm, t + pair[0]));
                    continue;
                }
                Tensor weight = need(timm, t + "attn.qkv.weight");
                Tensor bias = timm.get(t + "attn.qkv.bias");
                for (int k = 0; k < 3; k++) {
                    out.put(
                            h + "attention.attention." + QKV[k] + ".weight",
                            rows(weight, k * dim, dim));
                    if (bias != null) {
                        out.put(
                                h + "attention.attention." + QKV[k] + ".bias",
                                rows(bias, k * dim, dim));
                    }
                }
            }
        }
        out.put("vit.layernorm.weight", need(timm, "norm.weight"));
        out.put("vit.layernorm.bias", need(timm, "norm.bias"));
        out.put("classifier.weight", need(timm, "head.weight"));
        out.put("classifier.bias", need(timm, "head.bias"));
        return out;
    }

    private static Tensor need(Map<String, Tensor> timm, String name) {
        Tensor t = timm.get(name);
        if (t == null) {
            throw new CheckpointException(
                    "the model has no tensor " + name + "; export a merged (plain) checkpoint");
        }
        return t;
    }

    /** Rows {@code [from, from + count)} of a matrix or a vector. */
    private static Tensor rows(Tensor t, int from, int count) {
        long[] shape = t.shape().clone();
        int width = shape.length == 1 ? 1 : (int) shape[1];
        shape[0] = count;
        float[] data = new float[count * width];
        System.arraycopy(t.data(), from * width, data, 0, data.length);
        return new Tensor(shape, data);
    }

    private static String configJson(VitArchitecture arch, List<String> labels) {
        JsonObject c = new JsonObject();
        JsonArray architectures = new JsonArray();
        architectures.add("ViTForImageClassification");
        c.add("architectures", architectures);
        c.addProperty("model_type", "vit");
        c.addProperty("hidden_size", arch.embedDim());
        c.addProperty("num_hidden_layers", arch.depth());
        c.addProperty("num_attention_heads", arch.numHeads());
        c.addProperty("intermediate_size", arch.hiddenDim());
        c.addProperty("hidden_act", "gelu");
        c.addProperty("hidden_dropout_prob", 0.0);
        c.addProperty("attention_probs_dropout_prob", 0.0);
        c.addProperty("initializer_range", 0.02);
        c.addProperty("layer_norm_eps", arch.layerNormEps());
        c.addProperty("image_size", arch.imgSize());
        c.addProperty("patch_size", arch.patchSize());
        c.addProperty("num_channels", arch.inChans());
        c.addProperty("qkv_bias", arch.qkvBias());
        c.addProperty("encoder_stride", arch.patchSize());
        JsonObject id2label = new JsonObject();
        JsonObject label2id = new JsonObject();
        for (int i = 0; i < arch.numClasses(); i++) {
            String name = labels.size() == arch.numClasses() ? labels.get(i) : "LABEL_" + i;
            id2label.addProperty(Integer.toString(i), name);
            label2id.addProperty(name, i);
        }
        c.add("id2label", id2label);
        c.add("label2id", label2id);
        c.addProperty("torch_dtype", "float32");
        return new GsonBuilder().setPrettyPrinting().create().toJson(c) + "\n";
    }

    private static String preprocessorJson(VitArchitecture arch) {
        JsonObject p = new JsonObject();
        p.addProperty("image_processor_type", "ViTImageProcessor");
        p.addProperty("do_resize", true);
        JsonObject size = new JsonObject();
        size.addProperty("height", arch.imgSize());
        size.addProperty("width", arch.imgSize());
        p.add("size", size);
        p.addProperty("resample", 2); // PIL bilinear, as the bundle's timm config says
        p.addProperty("do_rescale", true);
        p.addProperty("rescale_factor", 1.0 / 255);
        p.addProperty("do_normalize", true);
        JsonArray mean = new JsonArray();
        JsonArray std = new JsonArray();
        for (int i = 0; i < arch.inChans(); i++) {
            mean.add(arch.mean()[i]);
            std.add(arch.std()[i]);
        }
        p.add("image_mean", mean);
        p.add("image_std", std);
        return new GsonBuilder().setPrettyPrinting().create().toJson(p) + "\n";
    }
}
