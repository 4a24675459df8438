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
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A search job as a user submits it: any field may be missing. {@link #parse} reads it from the
 * request body; {@link #withDefaults} resolves it, once, into a complete {@link JobSpec}, the only
 * form checked, stored and run.
 *
 * @param name a label for people (default: the data folder)
 * @param backbone pretrained plain ViT checkpoint, relative to the model root
 * @param data VTAB-1K task folder, relative to the data root
 * @param supernet supernet training
 * @param search the evolutionary search
 * @param retrain the optional retraining of the chosen subnet (none by default, as in the paper)
 * @param baseline the optional LoRA baseline (none by default)
 * @param seed the seed (default 0)
 */
public record JobRequest(
        String name,
        String backbone,
        String data,
        Supernet supernet,
        Search search,
        Retrain retrain,
        Baseline baseline,
        Long seed) {

    /** A job's supernet rank where neither the request nor a limit says one. */
    public static final int DEFAULT_RANK = 4;

    /** A request without retraining. */
    public JobRequest(
            String name,
            String backbone,
            String data,
            Supernet supernet,
            Search search,
            Long seed) {
        this(name, backbone, data, supernet, search, null, null, seed);
    }

    /** A request without a baseline. */
    public JobRequest(
            String name,
            String backbone,
            String data,
            Supernet supernet,
            Search search,
            Retrain retrain,
            Long seed) {
        this(name, backbone, data, supernet, search, retrain, null, seed);
    }

    /** Supernet training as submitted; see {@link JobSpec.Supernet}. */
    public record Supernet(
            Integer rank,
            List<Integer> ranks,
            Integer epochs,
            Integer batchSize,
            Double lr,
            Double weightDecay,
            Integer warmupEpochs,
            Integer threads,
            Trainees.Sampling sampling) {

        /** Supernet training on the default thread count and sampling. */
        public Supernet(
                Integer rank,
                List<Integer> ranks,
                Integer epochs,
                Integer batchSize,
                Double lr,
                Double weightDecay,
                Integer warmupEpochs) {
            this(rank, ranks, epochs, batchSize, lr, weightDecay, warmupEpochs, null, null);
        }
    }

    /** The search as submitted; see {@link JobSpec.Search}. */
    public record Search(
            Integer population,
            Integer generations,
            Integer topK,
            Integer mutations,
            Integer crossovers,
            Double mutationProbability,
            Long maxParams,
            Long minParams,
            SearchSettings.Objective objective,
            SearchSettings.Init init,
            String rerankList,
            Integer rerankTop,
            SearchSettings.Seeds seeds,
            Integer finalists,
            Integer finalistEpochs) {

        /** A search with the default seeds and finalists. */
        public Search(
                Integer population,
                Integer generations,
                Integer topK,
                Integer mutations,
                Integer crossovers,
                Double mutationProbability,
                Long maxParams,
                Long minParams,
                SearchSettings.Objective objective,
                SearchSettings.Init init,
                String rerankList,
                Integer rerankTop) {
            this(
                    population,
                    generations,
                    topK,
                    mutations,
                    crossovers,
                    mutationProbability,
                    maxParams,
                    minParams,
                    objective,
                    init,
                    rerankList,
                    rerankTop,
                    null,
                    null,
                    null);
        }

        /**
         * A search that draws its random candidates the reference's way and chooses its own best.
         */
        public Search(
                Integer population,
                Integer generations,
                Integer topK,
                Integer mutations,
                Integer crossovers,
                Double mutationProbability,
                Long maxParams,
                Long minParams,
                SearchSettings.Objective objective) {
            this(
                    population,
                    generations,
                    topK,
                    mutations,
                    crossovers,
                    mutationProbability,
                    maxParams,
                    minParams,
                    objective,
                    null,
                    null,
                    null);
        }
    }

    /** The retraining as submitted; see {@link JobSpec.Retrain}. */
    public record Retrain(
            Integer epochs,
            Double lr,
            Integer warmupEpochs,
            String trainList,
            JobSpec.Retrain.Start start) {

        /** A retraining on the supernet's training list. */
        public Retrain(Integer epochs, Double lr, Integer warmupEpochs) {
            this(epochs, lr, warmupEpochs, null, null);
        }

        /** A retraining from the default start. */
        public Retrain(Integer epochs, Double lr, Integer warmupEpochs, String trainList) {
            this(epochs, lr, warmupEpochs, trainList, null);
        }
    }

    /** The LoRA baseline as submitted; see {@link JobSpec.Baseline}. */
    public record Baseline(Boolean lora, Integer rank, Integer epochs) {}

    /**
     * Reads a spec as a user submits it, with the library that stores and reloads it ({@link
     * JobStore#gson()}): strict JSON, an object whose every field a record of this class names (at
     * any depth), each value of its field's type. Missing fields stay missing ({@link
     * #withDefaults} fills them).
     *
     * @param json the request body
     * @return the spec
     * @throws JobSpec.Unreadable naming every unknown field, every boolean that is not one and
     *     every choice that is none of its values (as {@code "must be one of accuracy, pareto, got
     *     best"}), or else the first field of the wrong type; the spec's own checks ({@link
     *     JobSpec#validate}) come after these
     */
    public static JobRequest parse(String json) {
        if (json == null || json.isBlank()) {
            throw new JobSpec.Unreadable(
                    List.of(new JobSpec.FieldError("body", "is required: a JSON job spec")));
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
            throw new JobSpec.Unreadable(
                    List.of(
                            new JobSpec.FieldError(
                                    "body", "is not a JSON job spec: " + e.getMessage())));
        }
        if (!tree.isJsonObject()) {
            throw new JobSpec.Unreadable(
                    List.of(
                            new JobSpec.FieldError(
                                    "body", "is not a JSON job spec: expected an object")));
        }
        List<JobSpec.FieldError> unknown = new ArrayList<>();
        checkFields(tree.getAsJsonObject(), JobRequest.class, "", unknown);
        if (!unknown.isEmpty()) {
            throw new JobSpec.Unreadable(unknown);
        }
        try {
            return (JobRequest) strictly(json, JobRequest.class);
        } catch (JsonParseException | NumberFormatException | IllegalStateException e) {
            // Gson reads a string where a number belongs inside a list with the number parser,
            // which throws its own exceptions (found by RequestsFuzzTest): the same wrong type
            String field = faultyField(tree.getAsJsonObject(), JobRequest.class, "");
            String why =
                    String.valueOf(
                                    e.getCause() != null
                                            ? e.getCause().getMessage()
                                            : e.getMessage())
                            .replaceAll(";? at (line \\d+ column \\d+ )?path \\S+", "")
                            .replaceAll("\\s*See https://\\S+", "")
                            .strip();
            // a value that is none of its enum's choices says which are (ChoiceAdapters)
            throw new JobSpec.Unreadable(
                    List.of(
                            new JobSpec.FieldError(
                                    field != null ? field : "body",
                                    e instanceof ChoiceAdapters.BadChoice
                                            ? e.getMessage()
                                            : "has the wrong type: " + why)));
        }
    }

    /**
     * @return the path of the first value that does not read as its field's type, or null
     */
    private static String faultyField(JsonObject object, Class<?> type, String path) {
        Map<String, RecordComponent> known = components(type);
        for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
            RecordComponent component = known.get(entry.getKey());
            String field = path + entry.getKey();
            if (reads(entry.getValue(), component.getGenericType())) {
                continue;
            }
            if (component.getType().isRecord() && entry.getValue().isJsonObject()) {
                String inner =
                        faultyField(
                                entry.getValue().getAsJsonObject(),
                                component.getType(),
                                field + ".");
                return inner != null ? inner : field;
            }
            if (entry.getValue().isJsonArray()
                    && component.getGenericType() instanceof ParameterizedType list) {
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

    /**
     * @return a record type's components by name, sorted (the names an error lists)
     */
    private static Map<String, RecordComponent> components(Class<?> type) {
        Map<String, RecordComponent> known = new TreeMap<>();
        for (RecordComponent component : type.getRecordComponents()) {
            known.put(component.getName(), component);
        }
        return known;
    }

    private static boolean reads(JsonElement value, Type type) {
        try {
            strictly(value.toString(), type);
            return true;
        } catch (JsonParseException | NumberFormatException | IllegalStateException e) {
            return false;
        }
    }

    private static void checkFields(
            JsonObject object, Class<?> type, String path, List<JobSpec.FieldError> errors) {
        Map<String, RecordComponent> known = components(type);
        for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
            String field = path + entry.getKey();
            RecordComponent component = known.get(entry.getKey());
            if (component == null) {
                errors.add(
                        new JobSpec.FieldError(
                                field,
                                "is not a field of a job spec; known: "
                                        + String.join(", ", known.keySet())));
            } else if (component.getType() == Boolean.class
                    && !entry.getValue().isJsonNull()
                    && !(entry.getValue().isJsonPrimitive()
                            && entry.getValue().getAsJsonPrimitive().isBoolean())) {
                // Gson reads any string as a boolean ("yes" as false): only true and false are one
                errors.add(
                        new JobSpec.FieldError(
                                field,
                                "has the wrong type: expected true or false, got "
                                        + entry.getValue()));
            } else if (component.getType().isEnum() && !entry.getValue().isJsonNull()) {
                // an enum of choices: every wrong one named with the values it allows
                try {
                    strictly(entry.getValue().toString(), component.getType());
                } catch (ChoiceAdapters.BadChoice e) {
                    errors.add(new JobSpec.FieldError(field, e.getMessage()));
                }
            } else if (component.getType().isRecord() && entry.getValue().isJsonObject()) {
                checkFields(
                        entry.getValue().getAsJsonObject(),
                        component.getType(),
                        field + ".",
                        errors);
            }
        }
    }

    /**
     * The one place a job's defaults are applied: the command line's ({@link
     * TrainSettings#reference}, {@link TrainSettings#warmupFor}, {@link SearchSettings#defaults}),
     * and the submitting machine's cores for the training's threads.
     *
     * @return the complete spec (check it with {@link JobSpec#validate})
     */
    public JobSpec withDefaults() {
        return withDefaults(null);
    }

    /**
     * As {@link #withDefaults()}, where the backbone is known: a request that names neither {@code
     * supernet.rank} nor {@code supernet.ranks} but a {@code search.maxParams} gets the ranks
     * measured for that limit ({@link dev.glora.supernet.glora.Supernet#ranksFor}); without a
     * limit, or without the backbone, rank {@value #DEFAULT_RANK}.
     *
     * @param architecture the architecture of the backbone the request names, or null when it is
     *     not known (not yet read, or not a plain checkpoint: the checks name that)
     * @return the complete spec (check it with {@link JobSpec#validate})
     */
    public JobSpec withDefaults(VitArchitecture architecture) {
        long s = seed == null ? 0 : seed;
        Supernet n =
                supernet == null
                        ? new Supernet(null, null, null, null, null, null, null, null, null)
                        : supernet;
        Long limit = search == null ? null : search.maxParams();
        List<Integer> ranks =
                n.ranks() != null
                        ? n.ranks()
                        : n.rank() != null
                                ? List.of(n.rank())
                                : architecture != null && limit != null && limit >= 0
                                        ? dev.glora.supernet.glora.Supernet.ranksFor(
                                                architecture, limit)
                                        : List.of(DEFAULT_RANK);
        int rank =
                n.rank() != null
                        ? n.rank()
                        : ranks.stream()
                                .filter(Objects::nonNull)
                                .mapToInt(Integer::intValue)
                                .max()
                                .orElse(DEFAULT_RANK);
        // the command line's rule for what was not given (TrainSettings.Given), on the reference's
        // defaults
        TrainSettings.Given train =
                new TrainSettings.Given(
                                n.epochs(),
                                n.batchSize(),
                                n.lr(),
                                n.weightDecay(),
                                n.warmupEpochs(),
                                null,
                                null)
                        .filledFrom(TrainSettings.supernetDefaults(JobSpec.DEFAULT_EPOCHS, s));
        JobSpec.Supernet filled =
                new JobSpec.Supernet(
                        rank,
                        ranks,
                        train.epochs(),
                        train.batchSize(),
                        train.lr(),
                        train.weightDecay(),
                        train.warmupEpochs(),
                        or(n.threads(), Runtime.getRuntime().availableProcessors()),
                        n.sampling() == null ? Trainees.Sampling.UNIFORM : n.sampling());
        SearchSettings d = SearchSettings.defaults(s);
        Search h =
                search == null
                        ? new Search(
                                null, null, null, null, null, null, null, null, null, null, null,
                                null)
                        : search;
        // as glora search: finalists are trained when some are asked for (the best by the proxy,
        // and
        // with them every seed), FINALIST_EPOCHS each unless said; not where a larger list chooses
        SearchSettings.Seeds seeds = h.seeds() == null ? SearchSettings.DEFAULT_SEEDS : h.seeds();
        int finalists =
                or(h.finalists(), h.rerankList() == null ? SearchSettings.DEFAULT_FINALISTS : 0);
        int finalistEpochs =
                or(h.finalistEpochs(), finalists > 0 ? SearchSettings.FINALIST_EPOCHS : 0);
        int population = or(h.population(), d.population());
        // breeding follows the population the user gave unless they said otherwise (issue 35)
        JobSpec.Search searched =
                new JobSpec.Search(
                        population,
                        or(h.generations(), d.generations()),
                        or(h.topK(), d.topK()),
                        or(h.mutations(), SearchSettings.offspring(population)),
                        or(h.crossovers(), SearchSettings.offspring(population)),
                        or(h.mutationProbability(), d.mutationProbability()),
                        or(h.maxParams(), d.maxParams()),
                        or(h.minParams(), d.minParams()),
                        h.objective() == null ? SearchSettings.Objective.ACCURACY : h.objective(),
                        h.init() == null ? d.init() : h.init(),
                        h.rerankList(),
                        or(h.rerankTop(), SearchSettings.DEFAULT_TOP_K),
                        seeds,
                        finalists,
                        finalistEpochs);
        Retrain r = retrain == null ? new Retrain(null, null, null) : retrain;
        int retrainEpochs = or(r.epochs(), JobSpec.DEFAULT_RETRAIN_EPOCHS);
        JobSpec.Retrain retrained =
                new JobSpec.Retrain(
                        retrainEpochs,
                        or(r.lr(), filled.lr()),
                        or(
                                r.warmupEpochs(),
                                TrainSettings.warmupFor(filled.warmupEpochs(), retrainEpochs)),
                        or(r.trainList(), JobSpec.Retrain.TRAIN800VAL200),
                        r.start() == null ? JobSpec.Retrain.DEFAULT_START : r.start());
        Baseline b = baseline == null ? new Baseline(null, null, null) : baseline;
        boolean lora = or(b.lora(), false);
        // not given: 0, the pipeline's own budget, counted once the finalists are known
        // (JobSpec.baselineEpochs)
        JobSpec.Baseline compared = new JobSpec.Baseline(lora, or(b.rank(), 0), or(b.epochs(), 0));
        return new JobSpec(
                name == null || name.isBlank() ? data : name,
                backbone,
                data,
                filled,
                searched,
                retrained,
                compared,
                s);
    }

    private static <T> T or(T given, T fallback) {
        return given != null ? given : fallback;
    }
}
