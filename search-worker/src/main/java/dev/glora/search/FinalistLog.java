package dev.glora.search;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.glora.supernet.GloraException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code finalists.jsonl} in a search's folder: one line per finalist trained, appended as it
 * finishes, so that {@code glora search} run again trains only the rest. A line of other settings
 * (another identity) is ignored.
 */
public final class FinalistLog {

    private FinalistLog() {}

    /**
     * @param file the log
     * @param identity the finalists' settings and supernet
     * @return each finalist's short-trained accuracy by key, for this identity
     */
    public static Map<String, Double> read(Path file, String identity) {
        Map<String, Double> done = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return done;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GloraException(file + ": cannot read: " + e.getMessage(), e);
        }
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                if (identity.equals(o.get("identity").getAsString())) {
                    done.put(o.get("key").getAsString(), o.get("accuracy").getAsDouble());
                }
            } catch (JsonParseException
                    | IllegalStateException
                    | NullPointerException
                    | UnsupportedOperationException e) {
                // a line cut short by a kill: that finalist trains again
            }
        }
        return done;
    }

    /**
     * @param file the log
     * @param identity the finalists' settings and supernet
     * @param candidate the finalist
     * @param accuracy its val accuracy after the short training
     */
    public static void append(Path file, String identity, Candidate candidate, double accuracy) {
        JsonObject o = new JsonObject();
        o.addProperty("identity", identity);
        o.addProperty("key", candidate.key());
        if (candidate.seed() != null) {
            o.addProperty("seed", candidate.seed());
        }
        o.addProperty("parameters", candidate.parameters());
        o.addProperty("proxy_accuracy", candidate.accuracy());
        o.addProperty("accuracy", accuracy);
        try {
            Files.writeString(
                    file,
                    o + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new GloraException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
