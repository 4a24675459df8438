package dev.glora.search;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.vit.VitArchitecture;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a finished search hands back, the same whether the command line or the service ran it: the
 * chosen subnet scored once on test, the best-config JSON, the Pareto front, and the merged model.
 *
 * @param best the chosen candidate
 * @param testAccuracy its test accuracy
 * @param headParameters parameters of the classification head (trained, outside the adapter count)
 * @param bestConfigJson the {@code glora-config/1} JSON of the chosen subnet, with its scores
 * @param paretoJson the Pareto front of all evaluated candidates
 * @param model the merged model: a plain ViT with the backbone's architecture
 * @param retrainedTestAccuracy the test accuracy of the model after retraining, or null when it was
 *     not retrained
 * @param baselineTestAccuracy the test accuracy of a baseline trained beside the search ({@link
 *     #withBaseline}), or null
 */
public record SearchExport(
        Candidate best,
        double testAccuracy,
        long headParameters,
        String bestConfigJson,
        String paretoJson,
        Checkpoint model,
        Double retrainedTestAccuracy,
        Double baselineTestAccuracy) {

    /**
     * @return the test accuracy of the model handed back: the retrained one's if there is one
     */
    public double deliveredTestAccuracy() {
        return retrainedTestAccuracy != null ? retrainedTestAccuracy : testAccuracy;
    }

    /**
     * The same export with the model replaced by the chosen subnet retrained: the best-config JSON
     * gains a {@code retrained} object (settings, training list, val and test accuracy); {@code
     * test_accuracy} there stays the search's own (supernet weights). Retrained on a list that
     * holds the val images ({@code train800val200}), the object has no {@code validation_accuracy}:
     * a figure on images it trained on would not be held out.
     *
     * @param retrained the supernet checkpoint after retraining the chosen configuration
     * @param config the chosen configuration
     * @param settings how it was retrained
     * @param trainList the list it was retrained on
     * @param validationAccuracy the retrained subnet's val accuracy, or null when val is in {@code
     *     trainList}
     * @param retrainedTest its test accuracy
     * @param source what the retrained checkpoint is, for error messages
     * @return the export
     */
    public SearchExport retrained(
            Checkpoint retrained,
            SubnetConfig config,
            TrainSettings settings,
            String trainList,
            Double validationAccuracy,
            double retrainedTest,
            String source) {
        return retrained(
                retrained,
                config,
                settings,
                trainList,
                null,
                validationAccuracy,
                retrainedTest,
                source);
    }

    /**
     * As {@link #retrained(Checkpoint, SubnetConfig, TrainSettings, String, Double, double,
     * String)}, recording where the retraining started.
     *
     * @param start {@code supernet} or {@code fresh}; null: not recorded (the supernet)
     */
    public SearchExport retrained(
            Checkpoint retrained,
            SubnetConfig config,
            TrainSettings settings,
            String trainList,
            String start,
            Double validationAccuracy,
            double retrainedTest,
            String source) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("epochs", settings.epochs());
        if (start != null) {
            summary.put("start", start);
        }
        summary.put("lr", settings.lr());
        summary.put("warmup_epochs", settings.warmupEpochs());
        summary.put("train_list", trainList);
        if (validationAccuracy != null) {
            summary.put("validation_accuracy", validationAccuracy);
        }
        summary.put("test_accuracy", retrainedTest);
        Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
        JsonObject json = JsonParser.parseString(bestConfigJson).getAsJsonObject();
        json.add("retrained", gson.toJsonTree(summary));
        if (json.has("budget")) {
            JsonObject b = json.getAsJsonObject("budget");
            json.add(
                    "budget",
                    gson.toJsonTree(
                            budget(
                                    b.get("supernet_epochs").getAsInt(),
                                    b.get("finalists").getAsInt(),
                                    b.get("finalist_epochs").getAsInt(),
                                    settings.epochs())));
        }
        Map<String, String> provenance = new LinkedHashMap<>(model.metadata());
        provenance.put("test_accuracy", Double.toString(retrainedTest));
        provenance.put("retrained", gson.toJson(summary).replaceAll("\\s+", ""));
        return new SearchExport(
                best,
                testAccuracy,
                headParameters,
                gson.toJson(json) + "\n",
                paretoJson,
                Reparameterizer.merge(retrained, config, provenance, source),
                retrainedTest,
                baselineTestAccuracy);
    }

    /**
     * @param metadata a supernet's metadata
     * @return the epochs its training ran ({@code train_settings}), or 0 when it does not say
     */
    static int supernetEpochs(Map<String, String> metadata) {
        String trained = metadata.get("train_settings");
        Matcher m =
                trained == null ? null : Pattern.compile("(?:^| )epochs=(\\d+)").matcher(trained);
        return m != null && m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /**
     * The pipeline's training budget in epochs, stage by stage: what an equal-budget baseline
     * trains for.
     *
     * @return the budget's record in the best-config JSON
     */
    public static Map<String, Object> budget(
            int supernetEpochs, int finalists, int finalistEpochs, int retrainEpochs) {
        Map<String, Object> budget = new LinkedHashMap<>();
        budget.put("supernet_epochs", supernetEpochs);
        budget.put("finalists", finalists);
        budget.put("finalist_epochs", finalistEpochs);
        budget.put("finalists_total_epochs", finalists * finalistEpochs);
        budget.put("retrain_epochs", retrainEpochs);
        budget.put("total_epochs", supernetEpochs + finalists * finalistEpochs + retrainEpochs);
        return budget;
    }

    /**
     * @return the pipeline's total epochs as the best-config JSON records them ({@link #budget}), 0
     *     if absent
     */
    public int totalEpochs() {
        JsonObject json = JsonParser.parseString(bestConfigJson).getAsJsonObject();
        return json.has("budget")
                ? json.getAsJsonObject("budget").get("total_epochs").getAsInt()
                : 0;
    }

    /**
     * @param baseline how a comparison trained beside the search was trained, and what it scored
     * @param baselineTest its test accuracy (also in {@code baseline})
     * @return the same export, its best-config JSON with a {@code baseline} object
     */
    public SearchExport withBaseline(Map<String, Object> baseline, double baselineTest) {
        Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
        JsonObject json = JsonParser.parseString(bestConfigJson).getAsJsonObject();
        json.add("baseline", gson.toJsonTree(baseline));
        return new SearchExport(
                best,
                testAccuracy,
                headParameters,
                gson.toJson(json) + "\n",
                paretoJson,
                model,
                retrainedTestAccuracy,
                baselineTest);
    }

    /**
     * @param result the search's result
     * @param supernet the supernet checkpoint
     * @param supernetSha256 its digest, for provenance
     * @param encoding the search's encoding
     * @param settings the search's settings
     * @param test the test set (scored once, for the chosen subnet only)
     * @param batch images per forward pass
     * @param source where the supernet came from, for the best-config JSON and error messages
     * @return the export
     */
    public static SearchExport of(
            EvolutionarySearch.Result result,
            Checkpoint supernet,
            String supernetSha256,
            Encoding encoding,
            SearchSettings settings,
            ImageDataset test,
            int batch,
            String source) {
        return of(result, null, supernet, supernetSha256, encoding, settings, test, batch, source);
    }

    /**
     * As {@link #of(EvolutionarySearch.Result, Checkpoint, String, Encoding, SearchSettings,
     * ImageDataset, int, String)}, choosing the reranking's winner when there is one; the
     * best-config JSON then records it under {@code reranked}, and {@code validation_accuracy}
     * stays the search's own.
     *
     * @param reranking the search's best scored again on a larger list, or null
     */
    public static SearchExport of(
            EvolutionarySearch.Result result,
            Reranking reranking,
            Checkpoint supernet,
            String supernetSha256,
            Encoding encoding,
            SearchSettings settings,
            ImageDataset test,
            int batch,
            String source) {
        return of(
                result,
                reranking,
                null,
                supernet,
                supernetSha256,
                encoding,
                settings,
                test,
                batch,
                source);
    }

    /**
     * As {@link #of(EvolutionarySearch.Result, Reranking, Checkpoint, String, Encoding,
     * SearchSettings, ImageDataset, int, String)}, choosing the finalists' winner when there are
     * finalists; the best-config JSON then records them under {@code finalists}. It always records
     * the pipeline's {@code budget} in epochs so far: the supernet's (from its metadata) and the
     * finalists'; {@link #retrained} adds the retraining's.
     *
     * @param finalists the finalists, trained briefly, or null
     */
    public static SearchExport of(
            EvolutionarySearch.Result result,
            Reranking reranking,
            Finalists finalists,
            Checkpoint supernet,
            String supernetSha256,
            Encoding encoding,
            SearchSettings settings,
            ImageDataset test,
            int batch,
            String source) {
        Candidate best =
                finalists != null
                        ? finalists.chosen()
                        : reranking == null ? result.best() : reranking.chosen();
        SubnetConfig config = encoding.decode(best.alleles());
        double testAccuracy;
        try (SubnetScorer scorer = new SubnetScorer(supernet, test, batch, source)) {
            testAccuracy = scorer.score(config).value();
        }
        VitArchitecture arch = VitArchitecture.fromMetadata(supernet.metadata(), source);
        long head = (long) arch.numClasses() * arch.embedDim() + arch.numClasses();
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("validation_accuracy", best.accuracy());
        extra.put("test_accuracy", testAccuracy);
        extra.put("trainable_parameters", best.parameters());
        extra.put("head_parameters", head);
        extra.put("generation", best.generation());
        Map<String, Object> backbone = new LinkedHashMap<>();
        backbone.put("arch", VitArchitecture.nameOf(supernet.metadata()));
        backbone.putAll(arch.toMetadata());
        extra.put("backbone", backbone);
        extra.put("layer_parameters", Supernet.parameterCounts(arch, config));
        // insertion-ordered, so the same search writes the same bytes in every JVM (Map.of's order
        // is per JVM)
        Map<String, Object> search = new LinkedHashMap<>();
        search.put("seed", settings.seed());
        search.put("objective", settings.objective().name().toLowerCase(Locale.ROOT));
        search.put("max_params", settings.maxParams());
        search.put("min_params", settings.minParams());
        search.put("supernet", source);
        if (settings.seeds() != SearchSettings.Seeds.NONE) {
            search.put("seeds", settings.seeds().label());
        }
        extra.put("search", search);
        if (best.seed() != null) {
            extra.put("seed", best.seed());
        }
        if (reranking != null) {
            extra.put("reranked", reranking.summary());
        }
        if (finalists != null) {
            extra.put("finalists", finalists.summary());
        }
        extra.put(
                "budget",
                budget(
                        supernetEpochs(supernet.metadata()),
                        finalists == null ? 0 : finalists.ranked().size(),
                        finalists == null ? 0 : finalists.epochs(),
                        0));
        List<Map<String, Object>> front = new ArrayList<>();
        for (Candidate c : result.front()) {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("trainable_parameters", c.parameters());
            point.put("validation_accuracy", c.accuracy());
            point.put("generation", c.generation());
            point.put("chosen", c.key().equals(best.key()));
            if (c.seed() != null) {
                point.put("seed", c.seed());
            }
            point.put(
                    "config",
                    JsonParser.parseString(
                            ConfigJson.format(encoding.decode(c.alleles()), Map.of())));
            front.add(point);
        }
        Map<String, Object> pareto = new LinkedHashMap<>();
        pareto.put(
                "objectives", List.of("validation_accuracy (max)", "trainable_parameters (min)"));
        pareto.put("max_params", settings.maxParams());
        pareto.put("front", front);
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("producer", "glora search " + Provenance.codeVersion());
        provenance.put("merged_from_sha256", supernetSha256);
        provenance.put("glora_config", ConfigJson.format(config, Map.of()).replaceAll("\\s+", ""));
        provenance.put("validation_accuracy", Double.toString(best.accuracy()));
        provenance.put("test_accuracy", Double.toString(testAccuracy));
        return new SearchExport(
                best,
                testAccuracy,
                head,
                ConfigJson.format(config, extra),
                new GsonBuilder().setPrettyPrinting().create().toJson(pareto) + "\n",
                Reparameterizer.merge(supernet, config, provenance, source),
                null,
                null);
    }
}
