package dev.glora.supernet.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code glora-config/1} JSON form of a {@link SubnetConfig}.
 *
 * <pre>{@code
 * {"format": "glora-config/1",
 *  "layers": [{"layer": "blocks.0.attn.qkv", "A": "LoRA_4", "B": "vector", "C": "none",
 *              "D": "constant", "E": "vector"}, ...]}
 * }</pre>
 *
 * <p>Layers are listed in model order. Other top-level fields (accuracy, parameter counts,
 * provenance) are allowed and ignored when reading.
 */
public final class ConfigJson {

    /** The value of the {@code format} field. */
    public static final String FORMAT = "glora-config/1";

    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private ConfigJson() {}

    /**
     * Parses a configuration.
     *
     * @param json the JSON text
     * @param source where it came from, for error messages (a file name, "request body")
     * @return the configuration
     * @throws ConfigException naming the source, the entry and the field that is wrong
     */
    public static SubnetConfig parse(String json, String source) {
        JsonObject root;
        try {
            JsonElement element = JsonParser.parseString(json);
            if (!element.isJsonObject()) {
                throw new ConfigException(source + ": a GLoRA config must be a JSON object");
            }
            root = element.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ConfigException(source + ": not valid JSON: " + e.getMessage());
        }
        JsonElement format = root.get("format");
        if (format == null || !format.isJsonPrimitive() || !FORMAT.equals(format.getAsString())) {
            throw new ConfigException(
                    source + ": \"format\" must be \"" + FORMAT + "\", found " + format);
        }
        JsonElement layers = root.get("layers");
        if (layers == null || !layers.isJsonArray()) {
            throw new ConfigException(source + ": \"layers\" must be an array");
        }
        Map<String, LayerConfig> configs = new LinkedHashMap<>();
        int index = 0;
        for (JsonElement entry : layers.getAsJsonArray()) {
            String where = source + ": layers[" + index + "]";
            if (!entry.isJsonObject()) {
                throw new ConfigException(where + " must be an object");
            }
            JsonObject object = entry.getAsJsonObject();
            String layer = string(object, "layer", where);
            where += " (" + layer + ")";
            if (configs.containsKey(layer)) {
                throw new ConfigException(where + ": layer listed twice");
            }
            String[] modes = new String[Term.values().length];
            for (Term term : Term.values()) {
                modes[term.ordinal()] = string(object, term.name(), where);
            }
            try {
                configs.put(
                        layer, LayerConfig.of(modes[0], modes[1], modes[2], modes[3], modes[4]));
            } catch (ConfigException e) {
                throw new ConfigException(where + ": " + e.getMessage());
            }
            index++;
        }
        if (configs.isEmpty()) {
            throw new ConfigException(source + ": \"layers\" is empty");
        }
        return new SubnetConfig(configs);
    }

    private static String string(JsonObject object, String field, String where) {
        JsonElement value = object.get(field);
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw new ConfigException(
                    where + ": field \"" + field + "\" must be a string, found " + value);
        }
        return value.getAsString();
    }

    /**
     * Reads a configuration file.
     *
     * @param file the file
     * @return the configuration
     * @throws ConfigException if the file cannot be read or is not a valid configuration
     */
    public static SubnetConfig read(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
    }

    /**
     * Writes a configuration as JSON.
     *
     * @param config the configuration
     * @param extra further top-level fields (accuracy, parameter counts, provenance), in order
     * @return the JSON text, pretty-printed
     */
    public static String format(SubnetConfig config, Map<String, ?> extra) {
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT);
        JsonElement extras = GSON.toJsonTree(extra);
        extras.getAsJsonObject().entrySet().forEach(e -> root.add(e.getKey(), e.getValue()));
        JsonArray layers = new JsonArray();
        config.layers()
                .forEach(
                        (name, layer) -> {
                            JsonObject entry = new JsonObject();
                            entry.addProperty("layer", name);
                            layer.modes()
                                    .forEach(
                                            (term, mode) ->
                                                    entry.addProperty(
                                                            term.name(), mode.toString()));
                            layers.add(entry);
                        });
        root.add("layers", layers);
        return GSON.toJson(root) + "\n";
    }

    /**
     * Writes a configuration file.
     *
     * @param config the configuration
     * @param extra further top-level fields
     * @param file where to write
     */
    public static void write(SubnetConfig config, Map<String, ?> extra, Path file) {
        try {
            Files.writeString(file, format(config, extra), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot write: " + e.getMessage());
        }
    }
}
