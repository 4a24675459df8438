package dev.glora.jobs;

import dev.glora.search.Finalists;
import dev.glora.search.KnownAdapters;
import dev.glora.search.Reranking;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.InvalidSettingsException;
import dev.glora.supernet.config.Choice;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.Mode;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.vit.VitArchitecture;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A search job, resolved: every value given or defaulted ({@link JobRequest#withDefaults}), none
 * missing. This is what is checked ({@link #validate}, {@link #validateFor}), stored, and handed to
 * the pipeline; a worker reads it back exactly as it was stored.
 *
 * @param name a label for people
 * @param backbone pretrained plain ViT checkpoint, relative to the model root
 * @param data VTAB-1K task folder, relative to the data root
 * @param supernet supernet training
 * @param search the evolutionary search
 * @param retrain the retraining of the chosen subnet ({@code epochs} 0: none, as in the paper;
 *     {@link #DEFAULT_RETRAIN_EPOCHS} by default)
 * @param baseline the LoRA trained beside the search for comparison ({@link Baseline#NONE}: none)
 * @param seed the seed of every random choice
 */
public record JobSpec(
        String name,
        String backbone,
        String data,
        Supernet supernet,
        Search search,
        Retrain retrain,
        Baseline baseline,
        long seed) {

    /** A job without a baseline. */
    public JobSpec(
            String name,
            String backbone,
            String data,
            Supernet supernet,
            Search search,
            Retrain retrain,
            long seed) {
        this(name, backbone, data, supernet, search, retrain, Baseline.NONE, seed);
    }

    /**
     * Supernet training. {@code threads} is the number of PyTorch threads the training runs on: a
     * training's floats depend on it (libtorch splits reductions by thread), so it is part of the
     * spec and every worker trains the job on exactly that many, whatever its own slot count;
     * {@code bin/glora train-supernet --threads N} gives the same supernet. 0 only in a spec stored
     * before specs named it ({@link #trainingThreads}). {@code sampling}: {@code uniform} (the
     * reference), {@code sandwich} or {@code limited} (within {@code search.maxParams}) ({@link
     * Trainees.Sampling}). A spec stored before a field existed is read whole ({@link StoredSpec}).
     */
    public record Supernet(
            int rank,
            List<Integer> ranks,
            int epochs,
            int batchSize,
            double lr,
            double weightDecay,
            int warmupEpochs,
            int threads,
            Trainees.Sampling sampling) {

        /** Supernet training with uniform path sampling. */
        public Supernet(
                int rank,
                List<Integer> ranks,
                int epochs,
                int batchSize,
                double lr,
                double weightDecay,
                int warmupEpochs,
                int threads) {
            this(
                    rank,
                    ranks,
                    epochs,
                    batchSize,
                    lr,
                    weightDecay,
                    warmupEpochs,
                    threads,
                    Trainees.Sampling.UNIFORM);
        }
    }

    /**
     * The search ({@code maxParams} -1: no limit; {@code objective}: {@code accuracy} or {@code
     * pareto}; {@code init}: {@code repair} or {@code budget}, see {@link SearchSettings.Init}).
     * {@code rerankList}: a list of the task folder (e.g. {@code val2000}) on which the best {@code
     * rerankTop} are scored again and the best there chosen ({@link Reranking}), as {@code glora
     * search --rerank-list}; null: none. {@code seeds}: {@code none} or {@code known}, the known
     * adapters that open the first generation ({@link KnownAdapters}); {@code finalists} and {@code
     * finalistEpochs}: after the search, every seed and the best {@code finalists} others by the
     * proxy are trained {@code finalistEpochs} from the supernet's weights on the supernet's
     * training list and the best on val after it is chosen ({@link Finalists}; 0 epochs: none).
     */
    public record Search(
            int population,
            int generations,
            int topK,
            int mutations,
            int crossovers,
            double mutationProbability,
            long maxParams,
            long minParams,
            SearchSettings.Objective objective,
            SearchSettings.Init init,
            String rerankList,
            int rerankTop,
            SearchSettings.Seeds seeds,
            int finalists,
            int finalistEpochs) {

        /** A search without seeds or finalists. */
        public Search(
                int population,
                int generations,
                int topK,
                int mutations,
                int crossovers,
                double mutationProbability,
                long maxParams,
                long minParams,
                SearchSettings.Objective objective,
                SearchSettings.Init init,
                String rerankList,
                int rerankTop) {
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
                    SearchSettings.Seeds.NONE,
                    0,
                    0);
        }

        /**
         * @return whether the job trains finalists after the search ({@link Finalists}): the best
         *     {@code finalists} by the proxy, and with them every seed
         */
        public boolean hasFinalists() {
            return finalistEpochs > 0 && finalists > 0;
        }

        /** A search that chooses its own best. */
        public Search(
                int population,
                int generations,
                int topK,
                int mutations,
                int crossovers,
                double mutationProbability,
                long maxParams,
                long minParams,
                SearchSettings.Objective objective,
                SearchSettings.Init init) {
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
                    null,
                    SearchSettings.DEFAULT_TOP_K);
        }
    }

    /**
     * A list name a spec may give: a file {@code <name>.txt} in the task folder, nothing above it.
     */
    private static final Pattern LIST_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

    /**
     * Training the chosen subnet's adapters and head further, from the supernet's weights, before
     * the export ({@code epochs} 0: none). Batch size and weight decay are the supernet's. {@code
     * trainList}: {@code train800val200}, all 1,000 labelled images, as VTAB-1K trains its final
     * models (the default of a new spec: it won on every task and seed measured, BENCHMARKS.md
     * issue 19; the choice is already made and the test split stays untouched), or {@code
     * train800}, the supernet's training list. {@code start}: {@code supernet} or {@code fresh}.
     */
    public record Retrain(int epochs, double lr, int warmupEpochs, String trainList, Start start) {

        /** The supernet's training list. */
        public static final String TRAIN800 = "train800";

        /** Every labelled image of a VTAB-1K task, a new spec's default. */
        public static final String TRAIN800VAL200 = "train800val200";

        /** Where the retraining starts. */
        public enum Start implements Choice {
            /** From the supernet's trained adapters and head. */
            SUPERNET,
            /** From fresh adapters (LoRA's zero-start) and a new head on the backbone. */
            FRESH
        }

        /** What a spec that names no start retrains from. */
        public static final Start DEFAULT_START = Start.SUPERNET;

        /** A retraining on the supernet's training list. */
        public Retrain(int epochs, double lr, int warmupEpochs) {
            this(epochs, lr, warmupEpochs, TRAIN800, DEFAULT_START);
        }

        /** A retraining from the default start. */
        public Retrain(int epochs, double lr, int warmupEpochs, String trainList) {
            this(epochs, lr, warmupEpochs, trainList, DEFAULT_START);
        }

        /**
         * @return whether it starts from fresh adapters rather than the supernet's
         */
        public boolean fresh() {
            return start == Start.FRESH;
        }
    }

    /**
     * Plain LoRA trained beside the search, so that the job answers the question a user asks of it:
     * does the searched adapter beat the LoRA I would have trained anyway, at the same size and
     * training budget, on my data? With {@code lora}, LoRA of rank {@code rank} on every {@code
     * attn.qkv} (0: the largest rank whose adapter is no larger than the delivered one's) is
     * trained from the backbone with a fresh head for {@code epochs} (by default the pipeline's
     * own: the supernet's plus the retraining's) at the supernet's learning rate, batch size,
     * weight decay and warm-up, on the list the delivered model last trained on, exactly as {@code
     * glora finetune --method lora} trains it; it is scored on test and reported in the best-config
     * JSON. The model handed back stays the searched one.
     */
    public record Baseline(boolean lora, int rank, int epochs) {

        /** No baseline. */
        public static final Baseline NONE = new Baseline(false, 0, 0);
    }

    /**
     * One invalid field. @param field its path, e.g. {@code search.population} @param message why
     */
    public record FieldError(String field, String message) {}

    /** A spec that could not be read: every field at fault. */
    public static final class Unreadable extends JobException {

        private static final long serialVersionUID = 1L;

        private final transient List<FieldError> errors;

        Unreadable(List<FieldError> errors) {
            super(errors.get(0).field(), errors.get(0).message());
            this.errors = List.copyOf(errors);
        }

        /**
         * @return the fields at fault, in the body's order
         */
        public List<FieldError> errors() {
            return errors;
        }
    }

    /** The default supernet epochs (the reference trains 500 on VTAB-1K at a tenth of the lr). */
    public static final int DEFAULT_EPOCHS = TrainSettings.DEFAULT_SUPERNET_EPOCHS;

    /**
     * The default retraining of the chosen subnet: 100 epochs (on {@code train800val200}), after
     * the supernet's 30. The paper hands back the supernet's weights (0 here); retraining adds 1 to
     * 11 points, and the epochs count more there than in the supernet (BENCHMARKS.md, issue 30).
     */
    public static final int DEFAULT_RETRAIN_EPOCHS = 100;

    /**
     * Checks a spec with defaults filled in (the paths are checked against the roots elsewhere).
     *
     * @return every invalid field, empty when the spec is valid
     */
    public List<FieldError> validate() {
        List<FieldError> errors = new ArrayList<>();
        require(
                errors,
                name != null && name.length() <= 200,
                "name",
                "must be at most 200 characters");
        require(
                errors,
                backbone != null && !backbone.isBlank(),
                "backbone",
                "is required: a checkpoint under the" + " model root");
        require(
                errors,
                data != null && !data.isBlank(),
                "data",
                "is required: a VTAB-1K task folder under the data" + " root");
        Supernet n = supernet;
        require(
                errors,
                n.rank() >= 1 && n.rank() <= 256,
                "supernet.rank",
                "must be in [1, 256], got " + n.rank());
        require(
                errors,
                !n.ranks().isEmpty() && n.ranks().stream().allMatch(r -> r != null && r >= 1),
                "supernet.ranks",
                "must be positive ranks, got " + n.ranks());
        require(
                errors,
                n.ranks().stream().allMatch(r -> r == null || r <= n.rank())
                        && n.ranks().contains(n.rank()),
                "supernet.ranks",
                "must include supernet.rank " + n.rank() + " as its largest, got " + n.ranks());
        require(
                errors,
                new HashSet<>(n.ranks()).size() == n.ranks().size(),
                "supernet.ranks",
                "must not repeat a rank, got " + n.ranks());
        // the training's own rules, as the command line applies them (TrainSettings.problems)
        TrainSettings reference = TrainSettings.reference(1, 0);
        section(
                errors,
                "supernet.",
                TrainSettings.problems(
                        n.epochs(),
                        n.batchSize(),
                        n.lr(),
                        n.weightDecay(),
                        n.warmupEpochs(),
                        reference.warmupLr(),
                        Math.min(reference.minLr(), n.lr()),
                        reference.dropPath(),
                        1));
        require(
                errors,
                n.threads() >= 1 && n.threads() <= 1024,
                "supernet.threads",
                "must be in [1, 1024], got " + n.threads());
        Search h = search;
        Map<String, List<String>> choices = choices();
        requireChoice(errors, choices, "supernet.sampling", n.sampling());
        require(
                errors,
                n.sampling() != Trainees.Sampling.LIMITED || h.maxParams() >= 0,
                "supernet.sampling",
                "limited draws paths within search.maxParams: set it");
        // the search's own rules, as glora search applies them (SearchSettings.problems)
        section(
                errors,
                "search.",
                SearchSettings.problems(
                        h.population(),
                        h.generations(),
                        h.topK(),
                        h.mutations(),
                        h.crossovers(),
                        h.mutationProbability(),
                        h.maxParams(),
                        h.minParams()));
        requireChoice(errors, choices, "search.objective", h.objective());
        requireChoice(errors, choices, "search.init", h.init());
        if (h.rerankList() != null) {
            require(
                    errors,
                    LIST_NAME.matcher(h.rerankList()).matches(),
                    "search.rerankList",
                    "must be the name of a"
                            + " list in the task folder (letters, digits, '-', '_'), got '"
                            + h.rerankList()
                            + "'");
            require(
                    errors,
                    !h.rerankList().equals(TEST_LIST),
                    "search.rerankList",
                    "must not be "
                            + TEST_LIST
                            + ": the"
                            + " job reports its test accuracy on that list, and choosing on it would overstate it");
            require(
                    errors,
                    h.rerankTop() >= 1 && h.rerankTop() <= 1000,
                    "search.rerankTop",
                    "must be in [1, 1000], got " + h.rerankTop());
        }
        requireChoice(errors, choices, "search.seeds", h.seeds());
        require(
                errors,
                h.finalists() >= 0 && h.finalists() <= 1000,
                "search.finalists",
                "must be in [0, 1000], got " + h.finalists());
        require(
                errors,
                h.finalistEpochs() >= 0 && h.finalistEpochs() <= TrainSettings.MAX_EPOCHS,
                "search.finalistEpochs",
                "must be in [0, "
                        + TrainSettings.MAX_EPOCHS
                        + "] (0: no finalists), got "
                        + h.finalistEpochs());
        require(
                errors,
                !(h.hasFinalists() && h.rerankList() != null),
                "search.rerankList",
                "choosing on a larger list"
                        + " and choosing by finalists exclude each other: give search.rerankList or search.finalistEpochs");
        Retrain r = retrain;
        require(
                errors,
                r.epochs() >= 0,
                "retrain.epochs",
                "must be 0 (no retraining) or more, got " + r.epochs());
        requireChoice(errors, choices, "retrain.trainList", retrainList());
        requireChoice(errors, choices, "retrain.start", r.start());
        // checked even without retraining (epochs 0): a value typed in is a value meant; batch size
        // and weight decay are the supernet's, and so is an lr equal to it: each reported once,
        // above
        section(
                errors,
                "retrain.",
                TrainSettings.problems(
                                Math.max(1, r.epochs()),
                                n.batchSize(),
                                r.lr(),
                                n.weightDecay(),
                                r.warmupEpochs(),
                                reference.warmupLr(),
                                Math.min(reference.minLr(), r.lr()),
                                reference.dropPath(),
                                1)
                        .stream()
                        .filter(
                                p ->
                                        !p.field().equals("batchSize")
                                                && !p.field().equals("weightDecay")
                                                && !(p.field().equals("lr") && r.lr() == n.lr()))
                        .toList());
        Baseline b = baseline;
        require(
                errors,
                b.rank() >= 0 && b.rank() <= 256,
                "baseline.rank",
                "must be in [1, 256], or 0 for the largest"
                        + " rank no larger than the searched adapter, got "
                        + b.rank());
        require(
                errors,
                b.epochs() >= 0,
                "baseline.epochs",
                "must be at least 1, or 0 for the pipeline's own budget," + " got " + b.epochs());
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
        long most =
                dev.glora.supernet.glora.Supernet.parameterCount(
                        arch,
                        SubnetConfig.uniform(
                                dev.glora.supernet.glora.Supernet.layerNames(arch),
                                new LayerConfig(lora, lora, lora, Mode.VECTOR, Mode.VECTOR)));
        require(
                errors,
                search.minParams() <= most,
                "search.minParams",
                "no configuration of this backbone reaches "
                        + search.minParams()
                        + " adapter parameters: at most "
                        + most
                        + " with supernet.rank "
                        + supernet.rank());
        return errors;
    }

    /** The list a job's test accuracy is measured on, never chosen on. */
    public static final String TEST_LIST = "test";

    /** The list a job's supernet trains on. */
    public static final String TRAIN_LIST = Retrain.TRAIN800;

    /** The list a job's search scores every candidate on. */
    public static final String VAL_LIST = "val200";

    /**
     * @return the list the chosen subnet is retrained on
     */
    public String retrainList() {
        return retrain.trainList();
    }

    /**
     * @return every list of the task folder this job will read, each with the spec field that names
     *     it ({@code data} for the three every job reads), so that a missing one is refused at
     *     submit rather than found after the supernet's training
     */
    public Map<String, String> listsRead() {
        Map<String, String> lists = new LinkedHashMap<>();
        lists.put(TRAIN_LIST, "data");
        lists.put(VAL_LIST, "data");
        lists.put(TEST_LIST, "data");
        if (retrain.epochs() > 0) {
            lists.putIfAbsent(retrainList(), "retrain.trainList");
        }
        if (search.rerankList() != null) {
            lists.putIfAbsent(search.rerankList(), "search.rerankList");
        }
        if (baseline.lora()) {
            lists.putIfAbsent(baselineList(), "retrain.trainList");
        }
        return lists;
    }

    /**
     * @return the list the LoRA baseline trains on: the one the delivered model last trained on
     */
    public String baselineList() {
        return retrain.epochs() > 0 ? retrainList() : TRAIN_LIST;
    }

    /**
     * @param finalists how many finalists the search trained (they count in the pipeline's budget)
     * @return the LoRA baseline's settings (a spec with defaults and {@code baseline.lora})
     */
    public TrainSettings baselineSettings(int finalists) {
        int epochs = baselineEpochs(finalists);
        TrainSettings reference = TrainSettings.reference(epochs, seed);
        return new TrainSettings(
                epochs,
                supernet.batchSize(),
                supernet.lr(),
                supernet.weightDecay(),
                TrainSettings.warmupFor(supernet.warmupEpochs(), epochs),
                reference.warmupLr(),
                Math.min(reference.minLr(), supernet.lr()),
                reference.dropPath(),
                seed);
    }

    /**
     * @return the finalists' short training (a spec with defaults and finalists): the retraining's
     *     learning rate, the supernet's batch size and weight decay
     */
    public TrainSettings finalistSettings() {
        int epochs = search.finalistEpochs();
        TrainSettings reference = TrainSettings.reference(epochs, seed);
        return new TrainSettings(
                epochs,
                supernet.batchSize(),
                retrain.lr(),
                supernet.weightDecay(),
                TrainSettings.warmupFor(supernet.warmupEpochs(), epochs),
                reference.warmupLr(),
                Math.min(reference.minLr(), retrain.lr()),
                reference.dropPath(),
                seed);
    }

    /**
     * @param finalists how many finalists the search trained
     * @return the LoRA baseline's epochs: those given, or (0) the pipeline's own, finalists
     *     included
     */
    public int baselineEpochs(int finalists) {
        return baseline.epochs() > 0
                ? baseline.epochs()
                : supernet.epochs() + finalists * search.finalistEpochs() + retrain.epochs();
    }

    /**
     * @return the retraining's settings (a spec with defaults and {@code retrain.epochs} above 0)
     */
    public TrainSettings retrainSettings() {
        TrainSettings reference = TrainSettings.reference(retrain.epochs(), seed);
        return new TrainSettings(
                retrain.epochs(),
                supernet.batchSize(),
                retrain.lr(),
                supernet.weightDecay(),
                retrain.warmupEpochs(),
                reference.warmupLr(),
                Math.min(reference.minLr(), retrain.lr()),
                reference.dropPath(),
                seed);
    }

    /**
     * @return under limited sampling, the most adapter parameters a training path adds ({@code
     *     search.maxParams}); else -1
     */
    public long samplingLimit() {
        return sampling() == Trainees.Sampling.LIMITED ? search.maxParams() : -1;
    }

    /**
     * @return how the supernet training draws its paths
     */
    public Trainees.Sampling sampling() {
        return supernet.sampling();
    }

    /**
     * @param unrecorded the count for a spec stored before it named one (the worker's slots, as
     *     such jobs trained then)
     * @return the PyTorch threads the job's training and retraining run on
     */
    public int trainingThreads(int unrecorded) {
        return supernet.threads() > 0 ? supernet.threads() : unrecorded;
    }

    /**
     * @return the supernet's training settings (a spec with defaults)
     */
    public TrainSettings trainSettings() {
        TrainSettings reference = TrainSettings.reference(supernet.epochs(), seed);
        return new TrainSettings(
                supernet.epochs(),
                supernet.batchSize(),
                supernet.lr(),
                supernet.weightDecay(),
                supernet.warmupEpochs(),
                reference.warmupLr(),
                Math.min(reference.minLr(), supernet.lr()),
                reference.dropPath(),
                seed);
    }

    /**
     * @return the search's settings (a spec with defaults)
     */
    public SearchSettings searchSettings() {
        return new SearchSettings(
                search.population(),
                search.generations(),
                search.topK(),
                search.mutations(),
                search.crossovers(),
                search.mutationProbability(),
                search.maxParams(),
                search.minParams(),
                search.objective(),
                seed,
                search.init(),
                search.seeds());
    }

    /**
     * @return the search space (a spec with defaults)
     */
    public SearchSpace space() {
        return new SearchSpace(new ArrayList<>(supernet.ranks()));
    }

    private static void section(
            List<FieldError> errors,
            String prefix,
            List<InvalidSettingsException.Problem> problems) {
        problems.forEach(p -> errors.add(new FieldError(prefix + p.field(), p.message())));
    }

    /**
     * The closed sets a spec's text fields choose from, by field name, each in the order the
     * dashboard offers them; the one list that the checks of {@link #validate} and the dashboard's
     * form ({@code GET /api/v1/jobs/choices}) both read.
     *
     * @return field name ({@code section.field}) to allowed values
     */
    public static Map<String, List<String>> choices() {
        Map<String, List<String>> choices = new LinkedHashMap<>();
        choices.put("supernet.sampling", Choice.labels(Trainees.Sampling.class));
        choices.put("search.objective", Choice.labels(SearchSettings.Objective.class));
        choices.put("search.init", Choice.labels(SearchSettings.Init.class));
        choices.put("search.seeds", Choice.labels(SearchSettings.Seeds.class));
        choices.put("retrain.trainList", List.of(Retrain.TRAIN800, Retrain.TRAIN800VAL200));
        choices.put("retrain.start", Choice.labels(Retrain.Start.class));
        return Collections.unmodifiableMap(choices);
    }

    /** A text field of a closed set, or a field of an enum of choices (never null once filled). */
    private static void requireChoice(
            List<FieldError> errors,
            Map<String, List<String>> choices,
            String field,
            Object value) {
        List<String> allowed = choices.get(field);
        String label = value instanceof Choice c ? c.label() : (String) value;
        require(
                errors,
                allowed.contains(label),
                field,
                "must be one of " + String.join(", ", allowed) + ", got " + label);
    }

    private static void require(List<FieldError> errors, boolean ok, String field, String message) {
        if (!ok) {
            errors.add(new FieldError(field, message));
        }
    }
}
