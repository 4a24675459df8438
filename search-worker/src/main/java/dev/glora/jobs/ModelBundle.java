package dev.glora.jobs;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A delivered model in the layout of a Hugging Face hub folder, as timm reads it with {@code
 * timm.create_model("local-dir:PATH", pretrained=True)}: {@code model.safetensors} (timm tensor
 * names), {@code config.json} (timm's: {@code architecture}, {@code num_classes}, {@code
 * label_names}, {@code model_args} that rebuild this ViT whatever its size, and {@code
 * pretrained_cfg} with the input size, normalisation and resizing), and {@code README.md}, a model
 * card saying what was searched, chosen and measured.
 *
 * <p>Everything comes from the job's best-config JSON (its {@code backbone}, {@code layers},
 * accuracies, {@code budget}, {@code baseline}), the task's class names when it has them, and the
 * model file itself, which is copied, never loaded.
 */
public final class ModelBundle {

    /** The weights file, by the name timm and the hub look for first. */
    public static final String WEIGHTS = "model.safetensors";

    /** timm's model configuration. */
    public static final String CONFIG = "config.json";

    /** The model card. */
    public static final String CARD = "README.md";

    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private ModelBundle() {}

    /**
     * What the card says beyond the best-config JSON.
     *
     * @param title the card's heading (a job's name, or the configuration's file name)
     * @param task the task's name, or null
     * @param labels the class names in label order; empty when the task names none
     * @param modelSha256 the weights file's SHA-256
     */
    public record Facts(String title, String task, List<String> labels, String modelSha256) {}

    /**
     * timm's {@code config.json} for the model a best-config JSON describes.
     *
     * @param bestConfig the job's best-config JSON
     * @param labels the class names, or empty
     * @return the file's text
     */
    public static String config(JsonObject bestConfig, List<String> labels) {
        JsonObject backbone = backbone(bestConfig);
        int classes = backbone.get("num_classes").getAsInt();
        int img = backbone.get("img_size").getAsInt();
        int chans = backbone.get("in_chans").getAsInt();
        Map<String, Object> modelArgs = new LinkedHashMap<>();
        modelArgs.put("img_size", img);
        modelArgs.put("patch_size", backbone.get("patch_size").getAsInt());
        modelArgs.put("in_chans", chans);
        modelArgs.put("embed_dim", backbone.get("embed_dim").getAsInt());
        modelArgs.put("depth", backbone.get("depth").getAsInt());
        modelArgs.put("num_heads", backbone.get("num_heads").getAsInt());
        modelArgs.put("mlp_ratio", backbone.get("mlp_ratio").getAsDouble());
        modelArgs.put("qkv_bias", backbone.get("qkv_bias").getAsBoolean());
        modelArgs.put("class_token", true);
        modelArgs.put("global_pool", "token");
        Map<String, Object> pretrained = new LinkedHashMap<>();
        pretrained.put("input_size", List.of(chans, img, img));
        pretrained.put("fixed_input_size", true);
        // the service resizes by area averaging (shrinking) or bilinearly (enlarging), whole image
        pretrained.put("interpolation", "bilinear");
        pretrained.put("crop_pct", 1.0);
        pretrained.put("crop_mode", "center");
        pretrained.put("mean", floats(backbone.get("mean").getAsString(), chans));
        pretrained.put("std", floats(backbone.get("std").getAsString(), chans));
        pretrained.put("num_classes", classes);
        pretrained.put("first_conv", "patch_embed.proj");
        pretrained.put("classifier", "head");
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", timmName(backbone.get("arch").getAsString()));
        config.put("num_classes", classes);
        config.put("num_features", backbone.get("embed_dim").getAsInt());
        config.put("global_pool", "token");
        if (!labels.isEmpty()) {
            if (labels.size() != classes) {
                throw new JobException(
                        null,
                        "the task names " + labels.size() + " classes, the model has " + classes);
            }
            config.put("label_names", labels);
        }
        config.put("model_args", modelArgs);
        config.put("pretrained_cfg", pretrained);
        return GSON.toJson(config) + "\n";
    }

    /**
     * The architecture timm builds: the backbone's timm name without its pretrained tag, or the
     * base ViT when the backbone was inferred ({@code model_args} give every dimension either way).
     */
    static String timmName(String arch) {
        String name = arch.contains(" ") || arch.equals("unknown") ? "vit_base_patch16_224" : arch;
        int tag = name.indexOf('.');
        return tag < 0 ? name : name.substring(0, tag);
    }

    private static List<Double> floats(String joined, int channels) {
        List<Double> values = new ArrayList<>();
        for (String v : joined.split(",")) {
            values.add(Double.parseDouble(v.trim()));
        }
        while (values.size() < channels) {
            values.add(values.get(0));
        }
        return values;
    }

    private static JsonObject backbone(JsonObject bestConfig) {
        if (!bestConfig.has("backbone") || !bestConfig.get("backbone").isJsonObject()) {
            throw new JobException(
                    null, "the best-config JSON has no \"backbone\" architecture to describe");
        }
        return bestConfig.getAsJsonObject("backbone");
    }

    /**
     * The model card.
     *
     * @param bestConfig the job's best-config JSON
     * @param facts what else it says
     * @return the card's Markdown
     */
    public static String card(JsonObject bestConfig, Facts facts) {
        JsonObject backbone = backbone(bestConfig);
        StringBuilder md = new StringBuilder();
        md.append(
                "---\nlibrary_name: timm\ntags:\n- image-classification\n- timm\n- glora\n---\n\n");
        md.append("# ").append(facts.title()).append("\n\n");
        md.append(
                "A vision transformer fine-tuned with a searched GLoRA adapter (arXiv 2306.07967) and merged"
                        + " back into plain linear layers: the same architecture and speed as its backbone.\n\n");
        md.append(
                "    import timm\n    model = timm.create_model(\"local-dir:PATH\", pretrained=True)\n\n");
        md.append("## Model\n\n");
        md.append("- backbone architecture: ")
                .append(backbone.get("arch").getAsString())
                .append('\n');
        md.append(
                String.format(
                        Locale.ROOT,
                        "- input: %s x %s px, %s channel(s), mean %s, std %s%n",
                        backbone.get("img_size").getAsString(),
                        backbone.get("img_size").getAsString(),
                        backbone.get("in_chans").getAsString(),
                        backbone.get("mean").getAsString(),
                        backbone.get("std").getAsString()));
        md.append("- classes: ").append(backbone.get("num_classes").getAsString());
        md.append(
                        facts.labels().isEmpty()
                                ? " (the task names none: labels 0 to n-1)"
                                : " — " + String.join(", ", facts.labels()))
                .append('\n');
        if (facts.task() != null) {
            md.append("- task: ").append(facts.task()).append('\n');
        }
        md.append("- weights: `")
                .append(WEIGHTS)
                .append("`, SHA-256 `")
                .append(facts.modelSha256())
                .append("`\n");
        md.append("\n## The chosen adapter\n\n");
        md.append(
                String.format(
                        Locale.ROOT,
                        "%,d adapter parameters (%,d more in the head)",
                        optLong(bestConfig, "trainable_parameters"),
                        optLong(bestConfig, "head_parameters")));
        if (bestConfig.has("generation")) {
            md.append(", found in generation ")
                    .append(bestConfig.get("generation").getAsLong() + 1);
        }
        if (bestConfig.has("seed")) {
            md.append(" (the known adapter `")
                    .append(bestConfig.get("seed").getAsString())
                    .append("`)");
        }
        Map<String, Map<String, Integer>> modes = modes(bestConfig);
        md.append(". Modes per term over ")
                .append(bestConfig.getAsJsonArray("layers").size())
                .append(" layers:\n\n| term | ")
                .append(String.join(" | ", modes.keySet()))
                .append(" |\n|---|")
                .append("---|".repeat(modes.size()))
                .append('\n');
        for (String term : new String[] {"A", "B", "C", "D", "E"}) {
            md.append("| ").append(term);
            for (Map<String, Integer> counts : modes.values()) {
                md.append(" | ").append(counts.getOrDefault(term, 0));
            }
            md.append(" |\n");
        }
        md.append("\n## Measured\n\n");
        if (bestConfig.has("validation_accuracy")) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "- validation accuracy (the search's choice, supernet weights):"
                                    + " %.2f %%%n",
                            100 * bestConfig.get("validation_accuracy").getAsDouble()));
        }
        if (bestConfig.has("test_accuracy")) {
            md.append(
                    String.format(
                            Locale.ROOT,
                            "- test accuracy, supernet weights: %.2f %%%n",
                            100 * bestConfig.get("test_accuracy").getAsDouble()));
        }
        if (!bestConfig.has("validation_accuracy") && !bestConfig.has("retrained")) {
            md.append("- nothing: this configuration was exported, not searched by a job\n");
        }
        if (bestConfig.has("retrained")) {
            JsonObject r = bestConfig.getAsJsonObject("retrained");
            md.append(
                    String.format(
                            Locale.ROOT,
                            "- test accuracy after retraining %d epochs on %s: **%.2f %%**%n",
                            r.get("epochs").getAsInt(),
                            r.get("train_list").getAsString(),
                            100 * r.get("test_accuracy").getAsDouble()));
        }
        if (bestConfig.has("baseline")) {
            JsonObject b = bestConfig.getAsJsonObject("baseline");
            md.append("- the job's LoRA baseline:");
            for (Map.Entry<String, JsonElement> e : b.entrySet()) {
                if (e.getValue().isJsonPrimitive()) {
                    md.append(' ')
                            .append(e.getKey())
                            .append(' ')
                            .append(e.getValue().getAsString())
                            .append(';');
                }
            }
            md.setLength(md.length() - 1);
            md.append('\n');
        }
        if (bestConfig.has("budget")) {
            JsonObject budget = bestConfig.getAsJsonObject("budget");
            md.append(
                    String.format(
                            Locale.ROOT,
                            "- budget: %d supernet epochs, %d finalists x %d epochs, %d"
                                    + " retraining epochs: %d in all%n",
                            budget.get("supernet_epochs").getAsInt(),
                            budget.get("finalists").getAsInt(),
                            budget.get("finalist_epochs").getAsInt(),
                            budget.get("retrain_epochs").getAsInt(),
                            budget.get("total_epochs").getAsInt()));
        }
        if (bestConfig.has("search")) {
            JsonObject search = bestConfig.getAsJsonObject("search");
            md.append("- search: seed ")
                    .append(search.get("seed").getAsString())
                    .append(", limit ")
                    .append(search.get("max_params").getAsString())
                    .append(" adapter parameters")
                    .append(
                            search.has("seeds")
                                    ? ", seeded with the known adapters: "
                                            + search.get("seeds").getAsString()
                                    : "")
                    .append('\n');
        }
        md.append(
                "\nThe full configuration, per layer, is in the job's best-config JSON"
                        + " (`GET /api/v1/jobs/{id}/best-config`).\n");
        return md.toString();
    }

    private static long optLong(JsonObject json, String key) {
        return json.has(key) && !json.get(key).isJsonNull() ? json.get(key).getAsLong() : 0;
    }

    /**
     * @return per mode, how many layers use it for each term
     */
    private static Map<String, Map<String, Integer>> modes(JsonObject bestConfig) {
        Map<String, Map<String, Integer>> modes = new TreeMap<>();
        for (JsonElement layer : bestConfig.getAsJsonArray("layers")) {
            for (String term : new String[] {"A", "B", "C", "D", "E"}) {
                JsonElement mode = layer.getAsJsonObject().get(term);
                if (mode != null) {
                    modes.computeIfAbsent(mode.getAsString(), m -> new LinkedHashMap<>())
                            .merge(term, 1, Integer::sum);
                }
            }
        }
        return modes;
    }

    /**
     * @param name the entry's path in the zip
     * @return an entry dated 1980-01-01 (the zip format's first day), so the same job gives the
     *     same bytes whenever it is zipped
     */
    public static ZipEntry entry(String name) {
        ZipEntry entry = new ZipEntry(name);
        entry.setTimeLocal(LocalDateTime.of(1980, 1, 1, 0, 0));
        return entry;
    }

    /** Writes the model's bytes to a stream it must not close. */
    public interface Weights {
        /**
         * @param out where the weights go
         * @throws IOException when they cannot be read or written
         */
        void copyTo(OutputStream out) throws IOException;
    }

    /**
     * Streams the bundle as a zip of one folder, {@code folder/}: the weights are copied straight
     * through, never held whole.
     *
     * @param out the response
     * @param folder the folder's name inside the zip
     * @param bestConfig the best-config JSON
     * @param facts what else the card says
     * @param weights the merged model's bytes
     * @throws IOException when the stream breaks
     */
    public static void writeZip(
            OutputStream out, String folder, JsonObject bestConfig, Facts facts, Weights weights)
            throws IOException {
        String config = config(bestConfig, facts.labels());
        String card = card(bestConfig, facts);
        ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
        zip.putNextEntry(entry(folder + "/" + CONFIG));
        zip.write(config.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        zip.putNextEntry(entry(folder + "/" + CARD));
        zip.write(card.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        zip.putNextEntry(entry(folder + "/" + WEIGHTS));
        weights.copyTo(
                new FilterOutputStream(zip) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        zip.write(b, off, len);
                    }

                    @Override
                    public void close() {
                        // the zip goes on after the weights
                    }
                });
        zip.closeEntry();
        zip.finish();
        zip.flush();
    }
}
