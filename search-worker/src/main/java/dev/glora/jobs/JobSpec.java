package dev.glora.jobs;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonSyntaxException;
import com.google.gson.Strictness;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.InvalidSettingsException;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A search job as a user submits it: the backbone and task (paths under the service's roots),
 * how to train the supernet, how to search it, and the seed of every random choice. Missing
 * values take the defaults of {@code glora train-supernet} and {@code glora search}.
 *
 * @param name a label for people
 * @param backbone pretrained plain ViT checkpoint, relative to the model root
 * @param data VTAB-1K task folder, relative to the data root
 * @param supernet supernet training
 * @param search the evolutionary search
 * @param retrain the optional retraining of the chosen subnet (none by default, as in the paper)
 * @param seed the seed
 */
public record JobSpec(String name, String backbone, String data, Supernet supernet, Search search, Retrain retrain,
        Long seed) {

    /** A spec without retraining. */
    public JobSpec(String name, String backbone, String data, Supernet supernet, Search search, Long seed) {
        this(name, backbone, data, supernet, search, null, seed);
    }

    /**
     * Supernet training; the GLoRA reference's values where not given. {@code threads} is the
     * number of PyTorch threads the training runs on: a training's floats depend on it (libtorch
     * splits reductions by thread), so it is part of the spec and every worker trains the job on
     * exactly that many, whatever its own slot count; {@code bin/glora train-supernet --threads N}
     * gives the same supernet. Default: the submitting machine's cores.
     */
    public record Supernet(Integer rank, List<Integer> ranks, Integer epochs, Integer batchSize, Double lr,
            Double weightDecay, Integer warmupEpochs, Integer threads) {

        /** Supernet training on the default thread count. */
        public Supernet(Integer rank, List<Integer> ranks, Integer epochs, Integer batchSize, Double lr,
                Double weightDecay, Integer warmupEpochs) {
            this(rank, ranks, epochs, batchSize, lr, weightDecay, warmupEpochs, null);
        }
    }

    /**
     * The search; the GLoRA reference's values where not given ({@code maxParams} -1: no limit;
     * {@code init}: {@code repair} or {@code budget}, see {@link SearchSettings.Init}).
     */
    public record Search(Integer population, Integer generations, Integer topK, Integer mutations,
            Integer crossovers, Double mutationProbability, Long maxParams, Long minParams, String objective,
            String init) {

        /** A search that draws its random candidates the reference's way. */
        public Search(Integer population, Integer generations, Integer topK, Integer mutations, Integer crossovers,
                Double mutationProbability, Long maxParams, Long minParams, String objective) {
            this(population, generations, topK, mutations, crossovers, mutationProbability, maxParams, minParams,
                    objective, null);
        }
    }

    /**
     * Training the chosen subnet's adapters and head further, from the supernet's weights, before
     * the export ({@code epochs} 0: none). Batch size and weight decay are the supernet's.
     */
    public record Retrain(Integer epochs, Double lr, Integer warmupEpochs) {}

    /** One invalid field. @param field its path, e.g. {@code search.population} @param message why */
    public record FieldError(String field, String message) {}

    /** A spec that could not be read: every field at fault. */
    public static final class Unreadable extends JobException {

        private static final long serialVersionUID = 1L;

        private final transient List<FieldError> errors;

        Unreadable(List<FieldError> errors) {
            super(errors.get(0).field(), errors.get(0).message());
            this.errors = List.copyOf(errors);
        }

        /** @return the fields at fault, in the body's order */
        public List<FieldError> errors() {
            return errors;
        }
    }

    /**
     * Reads a spec as a user submits it, with the library that stores and reloads it
     * ({@link JobStore#gson()}): strict JSON, an object whose every field a record of this class
     * names (at any depth), each value of its field's type. Missing fields stay missing
     * ({@link #withDefaults} fills them).
     *
     * @param json the request body
     * @return the spec
     * @throws Unreadable naming every unknown field, or the first of the wrong type
     */
    public static JobSpec parse(String json) {
        if (json == null || json.isBlank()) {
            throw new Unreadable(List.of(new FieldError("body", "is required: a JSON job spec")));
        }
        JsonElement tree;
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.STRICT);
            tree = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonSyntaxException("more than one JSON value");
            }
        } catch (JsonParseException | IOException e) {
            throw new Unreadable(List.of(new FieldError("body", "is not a JSON job spec: " + e.getMessage())));
        }
        if (!tree.isJsonObject()) {
            throw new Unreadable(List.of(new FieldError("body", "is not a JSON job spec: expected an object")));
        }
        List<FieldError> unknown = new ArrayList<>();
        checkFields(tree.getAsJsonObject(), JobSpec.class, "", unknown);
        if (!unknown.isEmpty()) {
            throw new Unreadable(unknown);
        }
        try {
            return (JobSpec) strictly(json, JobSpec.class);
        } catch (JsonParseException e) {
            String field = faultyField(tree.getAsJsonObject(), JobSpec.class, "");
            String why = String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage())
                    .replaceAll(";? at (line \\d+ column \\d+ )?path \\S+", "")
                    .replaceAll("\\s*See https://\\S+", "").strip();
            throw new Unreadable(List.of(new FieldError(field != null ? field : "body", "has the wrong type: "
                    + why)));
        }
    }

    /** @return the path of the first value that does not read as its field's type, or null */
    private static String faultyField(JsonObject object, Class<?> type, String path) {
        Map<String, RecordComponent> known = new TreeMap<>();
        for (RecordComponent component : type.getRecordComponents()) {
            known.put(component.getName(), component);
        }
        for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
            RecordComponent component = known.get(entry.getKey());
            String field = path + entry.getKey();
            if (reads(entry.getValue(), component.getGenericType())) {
                continue;
            }
            if (component.getType().isRecord() && entry.getValue().isJsonObject()) {
                String inner = faultyField(entry.getValue().getAsJsonObject(), component.getType(), field + ".");
                return inner != null ? inner : field;
            }
            if (entry.getValue().isJsonArray() && component.getGenericType() instanceof ParameterizedType list) {
                JsonArray items = entry.getValue().getAsJsonArray();
                for (int i = 0; i < items.size(); i++) {
                    if (!reads(items.get(i), list.getActualTypeArguments()[0])) {
                        return field + "[" + i + "]";
                    }
                }
            }
            return field;
        }
        return null;
    }

    /**
     * Reads from text rather than from a parsed tree: a tree hands {@code 1.5} to a {@code long}
     * field as 1, the streaming reader refuses it.
     */
    private static Object strictly(String json, Type type) {
        JsonReader reader = new JsonReader(new StringReader(json));
        reader.setStrictness(Strictness.STRICT);
        return JobStore.gson().fromJson(reader, TypeToken.get(type));
    }

    private static boolean reads(JsonElement value, Type type) {
        try {
            strictly(value.toString(), type);
            return true;
        } catch (JsonParseException e) {
            return false;
        }
    }

    private static void checkFields(JsonObject object, Class<?> type, String path, List<FieldError> errors) {
        Map<String, RecordComponent> known = new TreeMap<>();
        for (RecordComponent component : type.getRecordComponents()) {
            known.put(component.getName(), component);
        }
        for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
            String field = path + entry.getKey();
            RecordComponent component = known.get(entry.getKey());
            if (component == null) {
                errors.add(new FieldError(field, "is not a field of a job spec; known: "
                        + String.join(", ", known.keySet())));
            } else if (component.getType().isRecord() && entry.getValue().isJsonObject()) {
                checkFields(entry.getValue().getAsJsonObject(), component.getType(), field + ".", errors);
            }
        }
    }

    /** The default supernet epochs (the reference trains 500 on VTAB-1K). */
    public static final int DEFAULT_EPOCHS = TrainSettings.REFERENCE_EPOCHS;

    /** @return this spec with every missing value filled in */
    public JobSpec withDefaults() {
        long s = seed == null ? 0 : seed;
        TrainSettings train = TrainSettings.reference(DEFAULT_EPOCHS, s);
        Supernet n = supernet == null ? new Supernet(null, null, null, null, null, null, null) : supernet;
        List<Integer> ranks = n.ranks() != null ? n.ranks() : List.of(n.rank() != null ? n.rank() : 4);
        int rank = n.rank() != null ? n.rank()
                : ranks.stream().filter(java.util.Objects::nonNull).mapToInt(Integer::intValue).max().orElse(4);
        Supernet filled = new Supernet(rank, ranks, or(n.epochs(), train.epochs()), or(n.batchSize(),
                train.batchSize()), or(n.lr(), train.lr()), or(n.weightDecay(), train.weightDecay()),
                or(n.warmupEpochs(), TrainSettings.warmupFor(train.warmupEpochs(), or(n.epochs(), train.epochs()))),
                or(n.threads(), Runtime.getRuntime().availableProcessors()));
        SearchSettings d = SearchSettings.defaults(s);
        Search h = search == null ? new Search(null, null, null, null, null, null, null, null, null, null) : search;
        Search searched = new Search(or(h.population(), d.population()), or(h.generations(), d.generations()),
                or(h.topK(), d.topK()), or(h.mutations(), d.mutations()), or(h.crossovers(), d.crossovers()),
                or(h.mutationProbability(), d.mutationProbability()), or(h.maxParams(), d.maxParams()),
                or(h.minParams(), d.minParams()), h.objective() == null ? "accuracy"
                        : h.objective().toLowerCase(Locale.ROOT), h.init() == null
                        ? d.init().name().toLowerCase(Locale.ROOT) : h.init().toLowerCase(Locale.ROOT));
        Retrain r = retrain == null ? new Retrain(null, null, null) : retrain;
        int retrainEpochs = or(r.epochs(), 0);
        Retrain retrained = new Retrain(retrainEpochs, or(r.lr(), filled.lr()), or(r.warmupEpochs(),
                TrainSettings.warmupFor(filled.warmupEpochs(), retrainEpochs)));
        return new JobSpec(name == null || name.isBlank() ? data : name, backbone, data, filled, searched, retrained, s);
    }

    /**
     * Checks a spec with defaults filled in (the paths are checked against the roots elsewhere).
     *
     * @return every invalid field, empty when the spec is valid
     */
    public List<FieldError> validate() {
        List<FieldError> errors = new ArrayList<>();
        require(errors, name != null && name.length() <= 200, "name", "must be at most 200 characters");
        require(errors, backbone != null && !backbone.isBlank(), "backbone", "is required: a checkpoint under the"
                + " model root");
        require(errors, data != null && !data.isBlank(), "data", "is required: a VTAB-1K task folder under the data"
                + " root");
        Supernet n = supernet;
        require(errors, n.rank() >= 1 && n.rank() <= 256, "supernet.rank", "must be in [1, 256], got " + n.rank());
        require(errors, !n.ranks().isEmpty() && n.ranks().stream().allMatch(r -> r != null && r >= 1),
                "supernet.ranks", "must be positive ranks, got " + n.ranks());
        require(errors, n.ranks().stream().allMatch(r -> r == null || r <= n.rank()) && n.ranks().contains(n.rank()),
                "supernet.ranks", "must include supernet.rank " + n.rank() + " as its largest, got " + n.ranks());
        require(errors, new java.util.HashSet<>(n.ranks()).size() == n.ranks().size(), "supernet.ranks",
                "must not repeat a rank, got " + n.ranks());
        // the training's own rules, as the command line applies them (TrainSettings.problems)
        TrainSettings reference = TrainSettings.reference(1, 0);
        section(errors, "supernet.", TrainSettings.problems(n.epochs(), n.batchSize(), n.lr(), n.weightDecay(),
                n.warmupEpochs(), reference.warmupLr(), Math.min(reference.minLr(), n.lr()), reference.dropPath(), 1));
        require(errors, n.threads() >= 1 && n.threads() <= 1024, "supernet.threads", "must be in [1, 1024], got "
                + n.threads());
        Search h = search;
        // the search's own rules, as glora search applies them (SearchSettings.problems)
        section(errors, "search.", SearchSettings.problems(h.population(), h.generations(), h.topK(), h.mutations(),
                h.crossovers(), h.mutationProbability(), h.maxParams(), h.minParams()));
        List<String> objectives = java.util.Arrays.stream(SearchSettings.Objective.values())
                .map(o -> o.name().toLowerCase(Locale.ROOT)).toList();
        require(errors, objectives.contains(h.objective()), "search.objective", "must be one of "
                + String.join(", ", objectives) + ", got " + h.objective());
        List<String> inits = java.util.Arrays.stream(SearchSettings.Init.values())
                .map(i -> i.name().toLowerCase(Locale.ROOT)).toList();
        require(errors, inits.contains(h.init()), "search.init", "must be one of " + String.join(", ", inits)
                + ", got " + h.init());
        Retrain r = retrain;
        require(errors, r.epochs() >= 0, "retrain.epochs", "must be 0 (no retraining) or more, got " + r.epochs());
        if (r.epochs() > 0) {
            // batch size and weight decay are the supernet's, already checked above
            section(errors, "retrain.", TrainSettings.problems(r.epochs(), n.batchSize(), r.lr(), n.weightDecay(),
                    r.warmupEpochs(), reference.warmupLr(), Math.min(reference.minLr(), r.lr()), reference.dropPath(),
                    1).stream().filter(p -> !p.field().equals("batchSize") && !p.field().equals("weightDecay"))
                    .toList());
        }
        return errors;
    }

    /**
     * Checks what only the backbone can tell: whether any configuration of the search space reaches
     * {@code search.minParams} (call on a spec whose {@link #validate} found nothing).
     *
     * @param arch the backbone's architecture
     * @return every invalid field, empty when the backbone can meet the spec
     */
    public List<FieldError> validateFor(VitArchitecture arch) {
        List<FieldError> errors = new ArrayList<>();
        // the largest configuration: every term at its largest mode
        Mode lora = Mode.lora(supernet.rank());
        long most = dev.glora.supernet.glora.Supernet.parameterCount(arch, SubnetConfig.uniform(
                dev.glora.supernet.glora.Supernet.layerNames(arch), new LayerConfig(lora, lora, lora, Mode.VECTOR,
                        Mode.VECTOR)));
        require(errors, search.minParams() <= most, "search.minParams", "no configuration of this backbone reaches "
                + search.minParams() + " adapter parameters: at most " + most + " with supernet.rank "
                + supernet.rank());
        return errors;
    }

    /** @return the retraining's settings (a spec with defaults and {@code retrain.epochs} above 0) */
    public TrainSettings retrainSettings() {
        TrainSettings reference = TrainSettings.reference(retrain.epochs(), seed);
        return new TrainSettings(retrain.epochs(), supernet.batchSize(), retrain.lr(), supernet.weightDecay(),
                retrain.warmupEpochs(), reference.warmupLr(), Math.min(reference.minLr(), retrain.lr()),
                reference.dropPath(), seed);
    }

    /**
     * @param unrecorded the count for a spec stored before it named one (the worker's slots, as
     *     such jobs trained then)
     * @return the PyTorch threads the job's training and retraining run on
     */
    public int trainingThreads(int unrecorded) {
        return supernet.threads() != null ? supernet.threads() : unrecorded;
    }

    /** @return the supernet's training settings (a spec with defaults) */
    public TrainSettings trainSettings() {
        TrainSettings reference = TrainSettings.reference(supernet.epochs(), seed);
        return new TrainSettings(supernet.epochs(), supernet.batchSize(), supernet.lr(), supernet.weightDecay(),
                supernet.warmupEpochs(), reference.warmupLr(), Math.min(reference.minLr(), supernet.lr()),
                reference.dropPath(), seed);
    }

    /** @return the search's settings (a spec with defaults) */
    public SearchSettings searchSettings() {
        return new SearchSettings(search.population(), search.generations(), search.topK(), search.mutations(),
                search.crossovers(), search.mutationProbability(), search.maxParams(), search.minParams(),
                SearchSettings.Objective.valueOf(search.objective().toUpperCase(Locale.ROOT)), seed,
                search.init() == null ? SearchSettings.Init.REPAIR
                        : SearchSettings.Init.valueOf(search.init().toUpperCase(Locale.ROOT)));
    }

    /** @return the search space (a spec with defaults) */
    public SearchSpace space() {
        return new SearchSpace(new ArrayList<>(supernet.ranks()));
    }

    private static void section(List<FieldError> errors, String prefix, List<InvalidSettingsException.Problem> problems) {
        problems.forEach(p -> errors.add(new FieldError(prefix + p.field(), p.message())));
    }

    private static void require(List<FieldError> errors, boolean ok, String field, String message) {
        if (!ok) {
            errors.add(new FieldError(field, message));
        }
    }

    private static <T> T or(T given, T fallback) {
        return given != null ? given : fallback;
    }
}
