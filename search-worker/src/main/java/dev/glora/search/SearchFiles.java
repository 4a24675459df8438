package dev.glora.search;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import dev.glora.supernet.GloraException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

/**
 * A search's folder: {@code search-state.json} (every evaluated candidate and the generation
 * history, rewritten after every generation, for resuming), {@code generations.jsonl} (one line per
 * generation, without wall times, so that the same search writes the same bytes) and {@code
 * timings.jsonl} (each generation's wall time).
 */
public final class SearchFiles {

    /** The resume state's file name. */
    public static final String STATE = "search-state.json";

    /** The per-generation log's file name. */
    public static final String GENERATIONS = "generations.jsonl";

    /** Each generation's wall time, apart so that the generation log compares byte for byte. */
    public static final String TIMINGS = "timings.jsonl";

    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private SearchFiles() {}

    /** The saved form of a state, with the fingerprint of the search it belongs to. */
    private record Saved(
            String fingerprint, List<Candidate> evaluated, List<GenerationStats> history) {}

    /**
     * @param dir the search's folder
     * @param fingerprint what identifies the search (settings, supernet, data)
     * @param formerly the fingerprints earlier versions saved for the same search, also accepted
     * @return the saved state, or {@link EvolutionarySearch.State#EMPTY} when there is none
     * @throws SearchException if the folder holds the state of another search
     */
    public static EvolutionarySearch.State load(Path dir, String fingerprint, String... formerly) {
        Path file = dir.resolve(STATE);
        if (!Files.exists(file)) {
            return EvolutionarySearch.State.EMPTY;
        }
        Saved saved;
        try {
            saved = GSON.fromJson(Files.readString(file), Saved.class);
        } catch (IOException | JsonParseException e) {
            throw new SearchException(file + ": unreadable search state: " + e.getMessage());
        }
        if (saved == null
                || !(fingerprint.equals(saved.fingerprint())
                        || Arrays.asList(formerly).contains(saved.fingerprint()))) {
            throw new SearchException(
                    file
                            + " belongs to another search ("
                            + (saved == null ? "empty" : saved.fingerprint())
                            + "); this one is "
                            + fingerprint
                            + ". Choose another --out or delete it");
        }
        return new EvolutionarySearch.State(saved.evaluated(), saved.history());
    }

    /**
     * Saves the state and rewrites the generation log, each atomically.
     *
     * @param dir the search's folder
     * @param fingerprint what identifies the search
     * @param state the state after the latest generation
     */
    public static void save(Path dir, String fingerprint, EvolutionarySearch.State state) {
        write(
                dir.resolve(STATE),
                GSON.toJson(new Saved(fingerprint, state.evaluated(), state.history())));
        StringBuilder lines = new StringBuilder();
        StringBuilder timings = new StringBuilder();
        for (GenerationStats stats : state.history()) {
            JsonObject line = GSON.toJsonTree(stats).getAsJsonObject();
            line.remove("seconds");
            // the known adapters this generation opened with (none: no field, as before seeds
            // existed)
            JsonArray seeded = new JsonArray();
            for (Candidate c : state.evaluated()) {
                if (c.seed() != null && c.generation() == stats.generation()) {
                    JsonObject seed = new JsonObject();
                    seed.addProperty("seed", c.seed());
                    seed.addProperty("parameters", c.parameters());
                    seed.addProperty("accuracy", c.accuracy());
                    seeded.add(seed);
                }
            }
            if (!seeded.isEmpty()) {
                line.add("seeds", seeded);
            }
            lines.append(GSON.toJson(line)).append('\n');
            timings.append("{\"generation\":")
                    .append(stats.generation())
                    .append(",\"seconds\":")
                    .append(stats.seconds())
                    .append("}\n");
        }
        write(dir.resolve(GENERATIONS), lines.toString());
        write(dir.resolve(TIMINGS), timings.toString());
    }

    /**
     * @param file where
     * @param text what, written beside it and moved into place
     */
    public static void write(Path file, String text) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GloraException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
