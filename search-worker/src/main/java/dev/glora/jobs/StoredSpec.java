package dev.glora.jobs;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.train.Trainees;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A job's spec as the database keeps it: the resolved {@link JobSpec} as JSON, with its {@code
 * specVersion}. A spec is stored once and read for the life of its job (by workers that may be
 * newer than the service that stored it), so the policy is:
 *
 * <ul>
 *   <li>A change that adds a spec field, or changes what a missing one means, raises {@link
 *       #VERSION} by one and adds one step to {@link #UPGRADES}: the step writes into a spec of the
 *       version before exactly what that version meant (the value jobs then ran with), so that a
 *       spec read back is whole and the code reading it never meets a missing field.
 *   <li>A step never changes what a stored job does: it states the old meaning, it does not move
 *       the job to the new default.
 *   <li>A spec newer than this program (a worker older than the service) is refused by name, never
 *       read with fields dropped.
 *   <li>{@code StoredSpecTest} reads a spec of every version, checked in, and asserts the whole
 *       spec it becomes.
 * </ul>
 *
 * <p>Version 0 is every spec stored before specs carried a version (they were upgraded by defaults
 * scattered over the accessors until then). One value stays outside the steps: a version-0 spec
 * without {@code supernet.threads} trains on the worker's slots ({@link JobSpec#trainingThreads}),
 * which no stored value can say.
 */
public final class StoredSpec {

    /** The version of the specs this program writes. */
    public static final int VERSION = 1;

    /** The field that holds the version. */
    public static final String FIELD = "specVersion";

    /** The store's own form: enums of choices as their labels ({@link ChoiceAdapters}). */
    private static final Gson GSON = JobStore.gson();

    /** Step {@code i} takes a spec of version {@code i} to version {@code i + 1}. */
    private static final List<Consumer<JsonObject>> UPGRADES = List.of(StoredSpec::toVersion1);

    private StoredSpec() {}

    /**
     * @param spec a resolved spec
     * @return its JSON as the database keeps it, at {@link #VERSION}
     */
    public static String write(JobSpec spec) {
        JsonObject json = GSON.toJsonTree(spec).getAsJsonObject();
        json.addProperty(FIELD, VERSION);
        return GSON.toJson(json);
    }

    /**
     * @param stored a stored spec of any version up to {@link #VERSION}
     * @return the spec, every step since its version applied
     * @throws JobException when it is newer than this program, or not a spec
     */
    public static JobSpec read(String stored) {
        return GSON.fromJson(upgraded(stored), JobSpec.class);
    }

    /**
     * @param stored a stored spec of any version up to {@link #VERSION}
     * @return the same spec's JSON at {@link #VERSION}, every field present
     * @throws JobException when it is newer than this program, or not a spec
     */
    public static JsonObject upgraded(String stored) {
        JsonObject json;
        try {
            json = JsonParser.parseString(stored).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new JobException(
                    null, "a stored job spec is not a JSON object: " + e.getMessage());
        }
        JsonElement given = json.remove(FIELD);
        int version = given == null ? 0 : given.getAsInt();
        if (version < 0 || version > VERSION) {
            throw new JobException(
                    null,
                    "a stored job spec has "
                            + FIELD
                            + " "
                            + version
                            + ", and this program reads"
                            + " versions up to "
                            + VERSION
                            + ": run a worker and service of the same release");
        }
        for (int step = version; step < VERSION; step++) {
            UPGRADES.get(step).accept(json);
        }
        json.addProperty(FIELD, VERSION);
        return json;
    }

    /**
     * Version 0 to 1: what a spec stored before the field existed meant. The supernet sampled
     * uniformly; the search started from repaired random draws, without seeds or finalists;
     * retraining used the supernet's training list, from the supernet's weights; no baseline.
     */
    private static void toVersion1(JsonObject spec) {
        JsonObject supernet = section(spec, "supernet");
        putIfMissing(supernet, "sampling", Trainees.Sampling.UNIFORM.label());
        JsonObject search = section(spec, "search");
        putIfMissing(search, "init", SearchSettings.Init.REPAIR.name().toLowerCase(Locale.ROOT));
        putIfMissing(search, "seeds", SearchSettings.Seeds.NONE.label());
        JsonObject retrain = section(spec, "retrain");
        putIfMissing(retrain, "trainList", JobSpec.Retrain.TRAIN800);
        putIfMissing(retrain, "start", JobSpec.Retrain.Start.SUPERNET.label());
        if (!spec.has("baseline") || spec.get("baseline").isJsonNull()) {
            spec.add("baseline", GSON.toJsonTree(JobSpec.Baseline.NONE));
        }
    }

    private static JsonObject section(JsonObject spec, String name) {
        if (!spec.has(name) || !spec.get(name).isJsonObject()) {
            throw new JobException(null, "a stored job spec has no " + name + " section");
        }
        return spec.getAsJsonObject(name);
    }

    private static void putIfMissing(JsonObject section, String field, String value) {
        if (!section.has(field) || section.get(field).isJsonNull()) {
            section.addProperty(field, value);
        }
    }
}
