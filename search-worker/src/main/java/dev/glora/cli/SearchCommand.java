package dev.glora.cli;

import dev.glora.jobs.JobSpec;
import dev.glora.search.Candidate;
import dev.glora.search.Encoding;
import dev.glora.search.EvolutionarySearch;
import dev.glora.search.FinalistLog;
import dev.glora.search.Finalists;
import dev.glora.search.GenerationStats;
import dev.glora.search.LocalEvaluator;
import dev.glora.search.Reranking;
import dev.glora.search.SearchExport;
import dev.glora.search.SearchFiles;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.InvalidSettingsException;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.eval.Racing;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.train.Retraining;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.TrainingListener;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code glora search}: the evolutionary search over a trained supernet. */
@Command(
        name = "search",
        mixinStandardHelpOptions = true,
        description =
                "Search the per-layer GLoRA modes of a trained supernet by validation accuracy (no"
                        + " retraining), then score the best once on test and export it merged. Run again with the same"
                        + " --out to resume an interrupted search.")
final class SearchCommand implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Option(
            names = "--supernet",
            required = true,
            paramLabel = "FILE",
            description = "trained supernet checkpoint")
    private Path supernet;

    @Option(
            names = "--task",
            required = true,
            paramLabel = "DIR",
            description = "VTAB-1K task folder")
    private Path task;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "folder for the results")
    private Path out;

    @Option(
            names = "--population",
            defaultValue = "" + SearchSettings.DEFAULT_POPULATION,
            description = "candidates per generation (default: ${DEFAULT-VALUE})")
    private int population;

    @Option(
            names = "--generations",
            defaultValue = "" + SearchSettings.DEFAULT_GENERATIONS,
            description = "generations (default: ${DEFAULT-VALUE})")
    private int generations;

    @Option(
            names = "--top-k",
            defaultValue = "" + SearchSettings.DEFAULT_TOP_K,
            description = "parents kept (default: ${DEFAULT-VALUE})")
    private int topK;

    @Option(
            names = "--mutations",
            description =
                    "mutants per generation (default: half the population, "
                            + SearchSettings.DEFAULT_MUTATIONS
                            + " of "
                            + SearchSettings.DEFAULT_POPULATION
                            + ")")
    private Integer mutations;

    @Option(
            names = "--crossovers",
            description =
                    "crossovers per generation (default: half the population, "
                            + SearchSettings.DEFAULT_CROSSOVERS
                            + " of "
                            + SearchSettings.DEFAULT_POPULATION
                            + ")")
    private Integer crossovers;

    @Option(
            names = "--mutation-prob",
            defaultValue = "" + SearchSettings.DEFAULT_MUTATION_PROBABILITY,
            description = "per-gene re-draw chance (default: ${DEFAULT-VALUE})")
    private double mutationProb;

    @Option(
            names = "--max-params",
            defaultValue = "-1",
            description = "most adapter parameters, head excluded (default: none)")
    private long maxParams;

    @Option(
            names = "--min-params",
            defaultValue = "0",
            description = "fewest adapter parameters (default: ${DEFAULT-VALUE})")
    private long minParams;

    @Option(
            names = "--objective",
            defaultValue = "accuracy",
            description = "accuracy or pareto (default: ${DEFAULT-VALUE})")
    private SearchSettings.Objective objective;

    @Option(
            names = "--init",
            defaultValue = "repair",
            description =
                    "random candidates under a limit: repair (draw, then cheapen genes until it fits; the"
                            + " reference's) or budget (draw a budget between the limits, fill it gene by gene)"
                            + " (default: ${DEFAULT-VALUE})")
    private SearchSettings.Init init;

    @Option(
            names = "--seeds",
            defaultValue = SearchSettings.DEFAULT_SEEDS_LABEL,
            description =
                    "known adapters that open the first generation: none (the reference's random draws) or"
                            + " known (LoRA on attn.qkv and on every layer at each rank, all-vector, all-constant: those that"
                            + " fit the limits) (default: ${DEFAULT-VALUE})")
    private SearchSettings.Seeds seeds;

    @Option(
            names = "--finalists",
            defaultValue = "" + SearchSettings.DEFAULT_FINALISTS,
            description =
                    "after the search, train the best N candidates by the proxy, and every seed with them,"
                            + " briefly from the supernet's weights and choose the best on --val-list after it (0: no"
                            + " finalists: the proxy's best)"
                            + " (default: ${DEFAULT-VALUE})")
    private int finalists;

    @Option(
            names = "--finalist-epochs",
            defaultValue = "" + SearchSettings.FINALIST_EPOCHS,
            description = "epochs of each finalist's short training (default: ${DEFAULT-VALUE})")
    private int finalistEpochs;

    @Option(
            names = "--finalist-list",
            defaultValue = "train800",
            description = "list the finalists train on (default: ${DEFAULT-VALUE})")
    private String finalistList;

    @Option(
            names = "--finalist-lr",
            defaultValue = "1e-3",
            description =
                    "peak learning rate of the finalists' training; batch size and weight decay are the"
                            + " supernet's (default: ${DEFAULT-VALUE})")
    private double finalistLr;

    @Option(
            names = "--finalist-warmup",
            paramLabel = "EPOCHS",
            description =
                    "warm-up epochs of the finalists' training (default: the supernet's, below --finalist-epochs)")
    private Integer finalistWarmup;

    @Option(
            names = "--ranks",
            split = ",",
            description = "LoRA ranks of the space (default: those the supernet was trained for)")
    private List<Integer> ranks;

    @Option(
            names = "--val-list",
            defaultValue = "val200",
            description = "list scored by the search (default: ${DEFAULT-VALUE})")
    private String valList;

    @Option(
            names = "--rerank-list",
            paramLabel = "LIST",
            description =
                    "score the search's --rerank-top best again on this larger list (e.g. val2000) and choose"
                            + " the best there (default: none, the search's best)")
    private String rerankList;

    @Option(
            names = "--rerank-top",
            defaultValue = "" + SearchSettings.DEFAULT_TOP_K,
            description =
                    "how many of the best --rerank-list scores again (default: ${DEFAULT-VALUE})")
    private int rerankTop;

    @Option(
            names = "--test-list",
            defaultValue = "test",
            description = "list the best is scored on once (default: ${DEFAULT-VALUE})")
    private String testList;

    @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "evaluation threads (default: ${DEFAULT-VALUE})")
    private int threads;

    @Option(
            names = "--racing",
            defaultValue = "off",
            description =
                    "stop candidates early that cannot enter the top-k: off, exact (never wrong) or hoeffding"
                            + " (wrong with probability at most --racing-delta per decision) (default: ${DEFAULT-VALUE})")
    private Racing.Bound racing;

    @Option(
            names = "--racing-delta",
            defaultValue = "0.01",
            description = "error bound of a hoeffding decision (default: ${DEFAULT-VALUE})")
    private double racingDelta;

    @Option(
            names = "--racing-stage",
            defaultValue = "50",
            description = "images between racing decisions (default: ${DEFAULT-VALUE})")
    private int racingStage;

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            description =
                    "fp32, or fp16: screen each candidate in float16 and score it again in float32 when it could"
                            + " enter the top-k, so parents and best stay those of fp32 (faster only on CPUs with native"
                            + " float16 arithmetic, e.g. AVX512-FP16 or AMX-FP16); no bf16: DJL's engine aborts on"
                            + " bfloat16 (default: ${DEFAULT-VALUE})")
    private SubnetScorer.Precision precision;

    @Option(
            names = "--screen-margin",
            defaultValue = "0.5",
            description =
                    "logit gap under which a reduced-precision prediction counts as uncertain (default:"
                            + " ${DEFAULT-VALUE})")
    private double screenMargin;

    @Option(
            names = "--batch",
            defaultValue = "200",
            description = "images per forward pass (default: ${DEFAULT-VALUE})")
    private int batch;

    @Override
    public Integer call() throws IOException {
        SearchSettings settings = settings();
        Checkpoint checkpoint = Safetensors.read(supernet);
        VitArchitecture arch =
                VitArchitecture.fromMetadata(checkpoint.metadata(), supernet.toString());
        int rank = Supernet.rankOf(checkpoint, supernet.toString());
        SearchSpace space = space(checkpoint, rank);
        Encoding encoding = new Encoding(Supernet.layerShapes(arch), space);
        ImageDataset val = TaskData.read(task, valList);
        if (rerankTop < 1) {
            throw new GloraException("--rerank-top must be positive, got " + rerankTop);
        }
        ImageDataset larger = rerankList == null ? null : TaskData.read(task, rerankList);
        // the data by content, so a task folder moved or reached through another path still resumes
        String searched =
                settings.fingerprint()
                        + " ranks="
                        + space.ranks()
                        + " supernet=sha256:"
                        + Provenance.sha256(supernet)
                        + " val=";
        String fingerprint =
                searched
                        + valList
                        + " sha256:"
                        + Provenance.sha256(Vtab1k.listFile(task, TaskData.list(valList)));
        Files.createDirectories(out);
        // a state saved before, when the list's absolute path stood in for it, resumes too
        EvolutionarySearch.State resume =
                SearchFiles.load(out, fingerprint, searched + TaskData.describe(task, valList));
        PrintWrapper printer = new PrintWrapper(spec);
        if (larger != null && TaskData.list(rerankList).equals(JobSpec.TEST_LIST)) {
            printer.err()
                    .println(
                            "warning: --rerank-list "
                                    + rerankList
                                    + " chooses on the test split: the test"
                                    + " accuracy reported is an optimistic bound, not an estimate");
        }
        List<Integer> fitting = maxParams < 0 ? List.of() : Supernet.ranksFor(arch, maxParams);
        int largest = Collections.max(space.ranks());
        if (!fitting.isEmpty() && fitting.get(0) > largest) {
            // the space cannot hold the LoRA the search is compared with (issue 30)
            printer.err()
                    .printf(
                            Locale.ROOT,
                            "note: the supernet's largest LoRA rank, %d, is below the %d whose LoRA on"
                                    + " attn.qkv fits --max-params %d; a supernet trained with --ranks %s"
                                    + " holds it, and a job trains those ranks for this limit%n",
                            largest,
                            fitting.get(0),
                            maxParams,
                            fitting.stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        if (!resume.history().isEmpty()) {
            printer.err()
                    .printf(
                            "resuming after generation %d of %d (%d candidates evaluated)%n",
                            resume.history().size(), generations, resume.evaluated().size());
        }
        printer.err()
                .printf(
                        Locale.ROOT,
                        "search space: ranks %s, %d layers, %d genes; %d validation images;"
                                + " %d thread(s)%n",
                        space.ranks(),
                        encoding.layers().size(),
                        encoding.length(),
                        val.size(),
                        threads);
        EvolutionarySearch.Result result;
        try (LocalEvaluator evaluator =
                new LocalEvaluator(
                        checkpoint,
                        val,
                        threads,
                        batch,
                        supernet.toString(),
                        racing(),
                        precision,
                        screenMargin)) {
            result =
                    new EvolutionarySearch(encoding, settings)
                            .run(
                                    evaluator,
                                    resume,
                                    (stats, pop, state) -> {
                                        SearchFiles.save(out, fingerprint, state);
                                        printer.err().println(line(stats, generations));
                                    });
        }
        SearchFiles.save(out, fingerprint, result.state());
        Finalists chosenBy = null;
        // a larger list chooses instead of the finalists, unless both were asked for, which is
        // refused
        boolean askedFinalists =
                spec.commandLine().getParseResult().hasMatchedOption("--finalists");
        if (finalists > 0 && (rerankList == null || askedFinalists)) {
            if (rerankList != null) {
                throw new GloraException(
                        "--rerank-list and --finalists choose the best two different ways: give"
                                + " one");
            }
            chosenBy = trainFinalists(result, checkpoint, encoding, val, printer);
        }
        Reranking reranking = null;
        if (larger != null) {
            try (LocalEvaluator evaluator =
                    new LocalEvaluator(
                            checkpoint, larger, threads, batch, supernet.toString(), Racing.OFF)) {
                reranking = Reranking.of(result, rerankTop, rerankList, evaluator, encoding);
            }
            printer.err()
                    .printf(
                            Locale.ROOT,
                            "reranked the best %d on %s (%d images): chose %.2f%% there (%.2f%% on"
                                    + " %s)%n",
                            reranking.ranked().size(),
                            rerankList,
                            larger.size(),
                            100 * reranking.chosenAccuracy(),
                            100 * reranking.chosen().accuracy(),
                            valList);
        }
        finish(result, reranking, chosenBy, checkpoint, encoding, settings, printer);
        return 0;
    }

    /**
     * Trains the finalists ({@link Finalists#pick}) one by one, each from the supernet's weights
     * for {@code --finalist-epochs} on {@code --threads}, recording each in {@code finalists.jsonl}
     * as it finishes: run again, the command trains only those not recorded for the same settings.
     */
    private Finalists trainFinalists(
            EvolutionarySearch.Result result,
            Checkpoint checkpoint,
            Encoding encoding,
            ImageDataset val,
            PrintWrapper printer) {
        if (finalistEpochs < 1) {
            throw new GloraException("--finalist-epochs must be at least 1, got " + finalistEpochs);
        }
        TrainSettings train;
        try {
            // the supernet's batch size, weight decay and warm-up rule, as a job's finalists train
            TrainSettings reference = TrainSettings.reference(finalistEpochs, seed);
            String trained = checkpoint.metadata().getOrDefault("train_settings", "");
            int batch = (int) setting(trained, "batch", reference.batchSize());
            double weightDecay = setting(trained, "wd", reference.weightDecay());
            int warmup =
                    finalistWarmup != null
                            ? finalistWarmup
                            : TrainSettings.warmupFor(
                                    (int) setting(trained, "warmup", 3), finalistEpochs);
            train =
                    new TrainSettings(
                            finalistEpochs,
                            batch,
                            finalistLr,
                            weightDecay,
                            warmup,
                            reference.warmupLr(),
                            Math.min(reference.minLr(), finalistLr),
                            reference.dropPath(),
                            seed);
        } catch (InvalidSettingsException e) {
            throw new GloraException(
                    e.describe(
                            Map.of(
                                    "lr",
                                    "--finalist-lr",
                                    "epochs",
                                    "--finalist-epochs",
                                    "warmupEpochs",
                                    "--finalist-warmup")));
        }
        ImageDataset trainSet = TaskData.read(task, finalistList);
        List<Candidate> picked = Finalists.pick(result.state().evaluated(), finalists);
        String identity =
                "finalists "
                        + train.fingerprint()
                        + " list="
                        + finalistList
                        + " supernet=sha256:"
                        + Provenance.sha256(supernet);
        Path log = out.resolve(FINALISTS_FILE);
        Map<String, Double> done = FinalistLog.read(log, identity);
        printer.err()
                .printf(
                        Locale.ROOT,
                        "finalists: %d (%d seeds), %d epochs each on %s%s%n",
                        picked.size(),
                        picked.stream().filter(c -> c.seed() != null).count(),
                        finalistEpochs,
                        finalistList,
                        done.isEmpty() ? "" : "; " + done.size() + " trained before");
        List<Finalists.Finalist> ranked = new ArrayList<>();
        TorchRuntime.setThreads(threads);
        try {
            for (Candidate c : picked) {
                Double accuracy = done.get(c.key());
                if (accuracy == null) {
                    Path resume = out.resolve("finalist.resume");
                    accuracy =
                            Finalists.accuracyAfter(
                                    Retraining.run(
                                            checkpoint,
                                            encoding.decode(c.alleles()),
                                            train,
                                            trainSet,
                                            val,
                                            resume,
                                            identity + " " + c.key(),
                                            new TrainingListener() {},
                                            supernet.toString(),
                                            Map.of()));
                    FinalistLog.append(log, identity, c, accuracy);
                    try {
                        Files.deleteIfExists(resume);
                    } catch (IOException e) {
                        // a stale resume point belongs to another finalist's identity and is never
                        // read for this one
                    }
                }
                ranked.add(new Finalists.Finalist(c, accuracy));
                printer.err()
                        .printf(
                                Locale.ROOT,
                                "finalist %d/%d%s: proxy %.2f%%, after %d epochs %.2f%%, %,d"
                                        + " parameters%n",
                                ranked.size(),
                                picked.size(),
                                c.seed() == null ? "" : " (" + c.seed() + ")",
                                100 * c.accuracy(),
                                finalistEpochs,
                                100 * accuracy,
                                c.parameters());
            }
        } finally {
            TorchRuntime.setThreads(1);
        }
        return new Finalists(finalistEpochs, finalistList, List.copyOf(ranked));
    }

    /**
     * @return a value of a training's fingerprint ({@code name=value}), or the fallback
     */
    private static double setting(String fingerprint, String name, double fallback) {
        Matcher m = Pattern.compile("(?:^| )" + name + "=([^ ]+)").matcher(fingerprint);
        return m.find() ? Double.parseDouble(m.group(1)) : fallback;
    }

    /** The finalists' log in a search's folder. */
    static final String FINALISTS_FILE = "finalists.jsonl";

    private SearchSettings settings() {
        try {
            if (finalists < 0) {
                throw new GloraException("--finalists must not be negative, got " + finalists);
            }
            return new SearchSettings(
                    population,
                    generations,
                    topK,
                    mutations != null ? mutations : SearchSettings.offspring(population),
                    crossovers != null ? crossovers : SearchSettings.offspring(population),
                    mutationProb,
                    maxParams,
                    minParams,
                    objective,
                    seed,
                    init,
                    seeds);
        } catch (InvalidSettingsException e) {
            throw new GloraException(
                    e.describe(
                            Map.of(
                                    "population",
                                    "--population",
                                    "generations",
                                    "--generations",
                                    "topK",
                                    "--top-k",
                                    "mutations",
                                    "--mutations",
                                    "crossovers",
                                    "--crossovers",
                                    "mutationProbability",
                                    "--mutation-prob",
                                    "maxParams",
                                    "--max-params",
                                    "minParams",
                                    "--min-params")));
        }
    }

    private Racing racing() {
        try {
            return new Racing(racing, racingDelta, racingStage);
        } catch (IllegalArgumentException e) {
            throw new GloraException("--racing " + racing.label() + ": " + e.getMessage());
        }
    }

    private SearchSpace space(Checkpoint checkpoint, int rank) {
        List<Integer> listed = ranks;
        if (listed == null) {
            String trained = checkpoint.metadata().get(Supernet.RANKS_KEY);
            listed =
                    trained == null
                            ? List.of(rank)
                            : Arrays.stream(trained.split(","))
                                    .map(String::trim)
                                    .map(Integer::valueOf)
                                    .toList();
        }
        if (listed.stream().anyMatch(r -> r > rank)) {
            throw new GloraException("--ranks " + listed + " exceed the supernet rank " + rank);
        }
        return new SearchSpace(new ArrayList<>(listed));
    }

    static String line(GenerationStats s, int generations) {
        return String.format(
                Locale.ROOT,
                "generation %d/%d  best %.2f%%  mean %.2f%%  worst %.2f%%  best params %,d"
                        + "  best so far %.2f%%  evaluated %d%s  %.1f s",
                s.generation() + 1,
                generations,
                100 * s.best(),
                100 * s.mean(),
                100 * s.worst(),
                s.bestParameters(),
                100 * s.bestSoFar(),
                s.evaluated(),
                s.raced() > 0 ? " (" + s.raced() + " stopped early)" : "",
                s.seconds());
    }

    private void finish(
            EvolutionarySearch.Result result,
            Reranking reranking,
            Finalists chosenBy,
            Checkpoint checkpoint,
            Encoding encoding,
            SearchSettings settings,
            PrintWrapper printer) {
        SearchExport export =
                SearchExport.of(
                        result,
                        reranking,
                        chosenBy,
                        checkpoint,
                        Provenance.sha256(supernet),
                        encoding,
                        settings,
                        TaskData.read(task, testList),
                        batch,
                        supernet.toAbsolutePath().toString());
        SearchFiles.write(out.resolve("best-config.json"), export.bestConfigJson());
        SearchFiles.write(out.resolve("pareto.json"), export.paretoJson());
        Safetensors.write(export.model(), out.resolve("model.safetensors"));
        Candidate best = export.best();
        double seconds =
                result.state().history().stream().mapToDouble(GenerationStats::seconds).sum();
        printer.out()
                .printf(
                        Locale.ROOT,
                        "best: validation %.2f%%, test %.2f%%, %,d adapter parameters (+%,d head),"
                                + " generation %d; Pareto front of %d; %d candidates in %.1f s (%.2f/s); wrote %s%n",
                        100 * best.accuracy(),
                        100 * export.testAccuracy(),
                        best.parameters(),
                        export.headParameters(),
                        best.generation() + 1,
                        result.front().size(),
                        result.state().evaluated().size(),
                        seconds,
                        result.state().evaluated().size() / seconds,
                        out);
        // what a job's baseline would train (JobSpec.Baseline): the comparison the search has to
        // win
        VitArchitecture arch =
                VitArchitecture.fromMetadata(checkpoint.metadata(), supernet.toString());
        int rank = Supernet.loraRankWithin(arch, best.parameters());
        printer.err()
                .printf(
                        Locale.ROOT,
                        "to compare: LoRA of this size is rank %d on attn.qkv (%,d adapter"
                                + " parameters): glora finetune --method lora --rank %d, for the supernet's epochs"
                                + " plus the finalists' and any"
                                + " retraining's%n",
                        rank,
                        Supernet.loraParameterCount(arch, rank),
                        rank);
    }
}
