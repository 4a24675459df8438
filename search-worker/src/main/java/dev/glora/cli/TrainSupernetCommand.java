package dev.glora.cli;

import dev.glora.supernet.GloraException;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.train.SupernetSetup;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainees;
import dev.glora.supernet.vit.VitArchitecture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code glora train-supernet}: one weight-shared GLoRA supernet for a downstream task. */
@Command(
        name = "train-supernet",
        mixinStandardHelpOptions = true,
        description =
                "Train a GLoRA supernet on a VTAB-1K task: every layer draws a random path every step;"
                        + " reports loss and validation accuracy (random paths, all-LoRA path) per epoch."
                        + " Run again with the same --out to resume an interrupted run.")
final class TrainSupernetCommand implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Option(
            names = "--backbone",
            required = true,
            paramLabel = "FILE",
            description = "pretrained plain ViT checkpoint")
    private Path backbone;

    @Option(
            names = "--task",
            required = true,
            paramLabel = "DIR",
            description = "VTAB-1K task folder")
    private Path task;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE",
            description = "supernet checkpoint to write")
    private Path out;

    @Option(
            names = "--rank",
            description = "supernet rank r (default: the largest of --ranks, else 4)")
    private Integer rank;

    @Option(
            names = "--sampling",
            defaultValue = "uniform",
            paramLabel = "uniform|sandwich|limited",
            description =
                    "paths per step: uniform, one drawn path (the reference); sandwich, the largest, the smallest"
                            + " and two drawn paths, the last three distilled from the largest (4 passes a step); limited, one"
                            + " path drawn within --max-params as the search's --init budget draws (default: ${DEFAULT-VALUE})")
    private Trainees.Sampling sampling;

    @Option(
            names = "--max-params",
            paramLabel = "N",
            description =
                    "with --sampling limited: most adapter parameters a drawn path adds, head excluded"
                            + " (the limit the search will use)")
    private Long maxParams;

    @Option(
            names = "--ranks",
            split = ",",
            description = "LoRA ranks of the search space (default: the rank alone)")
    private List<Integer> ranks;

    @Mixin private TaskLists lists;

    @Mixin TrainingOptions training;

    @Override
    public Integer call() {
        TrainSettings settings =
                training.settings(
                        TrainSettings.supernetDefaults(TrainSettings.DEFAULT_SUPERNET_EPOCHS, 0));
        SearchSpace space = space(rank, ranks);
        TrainingRun.checkOutput(out);
        Trainees.Sampling paths = sampling;
        if ((paths == Trainees.Sampling.LIMITED) != (maxParams != null)) {
            throw new GloraException(
                    maxParams == null
                            ? "--sampling limited needs --max-params"
                            : "--max-params applies to --sampling limited only");
        }
        long limit = maxParams == null ? -1 : maxParams;
        SupernetSetup setup;
        try {
            setup =
                    SupernetSetup.of(
                            backbone,
                            task,
                            TaskData.list(lists.train),
                            TaskData.list(lists.val),
                            space,
                            settings,
                            paths,
                            limit,
                            "glora train-supernet");
        } catch (IllegalArgumentException e) {
            throw new GloraException("--max-params " + limit + ": " + e.getMessage());
        }
        PrintWrapper printer = new PrintWrapper(spec);
        printer.err()
                .printf(
                        "supernet rank %d, search space ranks %s, %d layers, %d classes; %d train, %d val%n",
                        space.supernetRank(),
                        space.ranks(),
                        Supernet.layerNames(
                                        VitArchitecture.fromMetadata(
                                                setup.fresh().metadata(), "fresh supernet"))
                                .size(),
                        setup.classes(),
                        setup.train().size(),
                        setup.val().size());
        try (Supernet supernet = Supernet.load(setup.fresh(), "fresh supernet")) {
            List<EpochResult> history =
                    TrainingRun.train(
                            settings,
                            setup.trainee(supernet),
                            setup.train(),
                            setup.val(),
                            out,
                            "supernet " + setup.provenance().values(),
                            printer.err(),
                            h -> setup.trained(supernet, h));
            EpochResult last = history.get(history.size() - 1);
            printer.out()
                    .printf(
                            Locale.ROOT,
                            "wrote %s: final loss %.4f, validation accuracy %s%n",
                            out,
                            last.loss(),
                            last.validation().entrySet().stream()
                                    .map(
                                            e ->
                                                    String.format(
                                                            Locale.ROOT,
                                                            "%s %.2f%%",
                                                            e.getKey(),
                                                            100 * e.getValue()))
                                    .collect(Collectors.joining(", ")));
        }
        return 0;
    }

    /**
     * @param rank the supernet rank, or null
     * @param ranks the search space's ranks, or null
     * @return the search space; its supernet rank is the largest of its ranks
     */
    static SearchSpace space(Integer rank, List<Integer> ranks) {
        List<Integer> listed =
                ranks == null
                        ? new ArrayList<>(List.of(rank == null ? 4 : rank))
                        : new ArrayList<>(ranks);
        int largest = listed.stream().mapToInt(Integer::intValue).max().orElse(4);
        if (rank != null && rank != largest) {
            throw new GloraException(
                    "--rank "
                            + rank
                            + " must equal the largest of --ranks "
                            + listed
                            + " (the supernet rank is the largest LoRA rank in the space)");
        }
        try {
            return new SearchSpace(listed);
        } catch (IllegalArgumentException e) {
            throw new GloraException("--ranks " + listed + ": " + e.getMessage());
        }
    }
}
