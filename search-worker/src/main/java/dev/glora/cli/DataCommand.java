package dev.glora.cli;

import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.data.FmnistVtab;
import dev.glora.supernet.data.FolderTask;
import dev.glora.supernet.data.Idx;
import dev.glora.supernet.data.ImageDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code glora data}: builds data sets. */
@Command(
        name = "data",
        mixinStandardHelpOptions = true,
        description = "Build data sets.",
        subcommands = {DataCommand.FoldersCommand.class, DataCommand.FmnistVtabCommand.class})
final class DataCommand {

    /**
     * {@code glora data folders}: a VTAB-1K task folder from image folders, one sub-folder per
     * class.
     */
    @Command(
            name = "folders",
            mixinStandardHelpOptions = true,
            description =
                    "Make a VTAB-1K task folder from image folders with one sub-folder per class (as"
                            + " torchvision's ImageFolder reads them; the training folder's sorted class names give the"
                            + " labels): train800 and val200 drawn at random from --train, the whole --test folder as test"
                            + " (or --test-size images drawn from --train apart from the others), the images copied in."
                            + " Every image is decoded first; the folder appears whole or not at all.")
    static final class FoldersCommand implements Callable<Integer> {

        @Spec private CommandSpec spec;

        @Option(
                names = "--train",
                required = true,
                paramLabel = "DIR",
                description = "the training images, one sub-folder per class")
        private Path train;

        @Option(
                names = "--val",
                paramLabel = "DIR",
                description =
                        "validation images of the same classes to draw val200 from (default: from --train)")
        private Path val;

        @Option(
                names = "--test",
                paramLabel = "DIR",
                description =
                        "test images of the same classes, all of them the test list (else give --test-size)")
        private Path test;

        @Option(
                names = "--test-size",
                defaultValue = "0",
                paramLabel = "N",
                description =
                        "without --test: N test images drawn from --train apart from the other lists")
        private int testSize;

        @Option(
                names = "--out",
                required = true,
                paramLabel = "DIR",
                description = "the task folder to create (new, or an empty folder)")
        private Path out;

        @Option(
                names = "--seed",
                defaultValue = "0",
                description = "seed of every draw (default: ${DEFAULT-VALUE})")
        private long seed;

        @Option(
                names = "--train-size",
                defaultValue = "800",
                paramLabel = "N",
                description = "images in train800 (default: ${DEFAULT-VALUE}, VTAB-1K's)")
        private int trainSize;

        @Option(
                names = "--val-size",
                defaultValue = "200",
                paramLabel = "N",
                description = "images in val200 (default: ${DEFAULT-VALUE}, VTAB-1K's)")
        private int valSize;

        @Option(
                names = "--large-val",
                defaultValue = "0",
                paramLabel = "N",
                description =
                        "also write val<N>.txt, N more images of --train apart from the others, for selecting"
                                + " on more than val200 (default: none)")
        private int largeVal;

        @Override
        public Integer call() {
            long start = System.nanoTime();
            FolderTask.Summary written =
                    FolderTask.write(
                            new FolderTask.Sources(train, val, test),
                            out,
                            seed,
                            new FolderTask.Sizes(trainSize, valSize, largeVal, testSize),
                            Map.of("producer", "glora data folders " + Provenance.codeVersion()));
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%d classes (%s); train800 %d, val200 %d, train800val200 %d, test %d%s"
                                    + " images; written to %s in %.1f s (seed %d)%n",
                            written.classes().size(),
                            String.join(", ", written.classes()),
                            written.train(),
                            written.val(),
                            written.train() + written.val(),
                            written.test(),
                            written.largeVal() > 0
                                    ? ", val" + written.largeVal() + " " + written.largeVal()
                                    : "",
                            out,
                            (System.nanoTime() - start) / 1e9,
                            seed);
            return 0;
        }
    }

    /** {@code glora data fmnist-vtab}: the six FMNIST-VTAB tasks as VTAB-1K folders. */
    @Command(
            name = "fmnist-vtab",
            mixinStandardHelpOptions = true,
            description =
                    "Write the six FMNIST-VTAB tasks (new5, all10, invert, rotation, location, count) and the"
                            + " new5 few-shot lists as VTAB-1K task folders of PNG images, deterministically from the seed.")
    static final class FmnistVtabCommand implements Callable<Integer> {

        @Spec private CommandSpec spec;

        @Option(
                names = "--idx",
                required = true,
                paramLabel = "DIR",
                description =
                        "folder with the Fashion-MNIST IDX files (e.g. /usr/share/datasets/fashion-mnist)")
        private Path idx;

        @Option(
                names = "--out",
                required = true,
                paramLabel = "DIR",
                description = "folder to write the tasks into")
        private Path out;

        @Option(
                names = "--seed",
                defaultValue = "0",
                description = "seed of every draw (default: ${DEFAULT-VALUE})")
        private long seed;

        @Option(
                names = "--train",
                defaultValue = "800",
                description = "training examples per task (default: ${DEFAULT-VALUE})")
        private int train;

        @Option(
                names = "--val",
                defaultValue = "200",
                description = "validation examples per task (default: ${DEFAULT-VALUE})")
        private int val;

        @Option(
                names = "--large-val",
                defaultValue = "0",
                paramLabel = "N",
                description =
                        "also write val<N>.txt, a larger selection list of N images drawn from the train split"
                                + " apart from train and val, which stay the same (issue 19 uses 2000; default: none)")
        private int largeVal;

        @Option(
                names = "--test",
                defaultValue = "-1",
                description =
                        "test examples per task, -1 for the whole test split (default: ${DEFAULT-VALUE})")
        private int test;

        @Override
        public Integer call() throws Exception {
            long start = System.nanoTime();
            ImageDataset trainSplit = Idx.readSplit(idx, "train");
            ImageDataset testSplit = Idx.readSplit(idx, "t10k");
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("producer", "glora data fmnist-vtab " + Provenance.codeVersion());
            try (Stream<Path> files = Files.list(idx)) {
                files.filter(f -> f.getFileName().toString().contains("-ubyte"))
                        .sorted()
                        .forEach(
                                f ->
                                        provenance.put(
                                                "sha256:" + f.getFileName(), Provenance.sha256(f)));
            }
            FmnistVtab.Sizes sizes = new FmnistVtab.Sizes(train, val, test, largeVal);
            for (FmnistVtab.Task task : FmnistVtab.Task.values()) {
                FmnistVtab.write(
                        task,
                        trainSplit,
                        testSplit,
                        out.resolve(task.folder()),
                        seed,
                        sizes,
                        provenance);
                spec.commandLine()
                        .getOut()
                        .printf(
                                "%-9s %2d classes  written to %s%n",
                                task.folder(), task.classes(), out.resolve(task.folder()));
            }
            spec.commandLine()
                    .getOut()
                    .printf("done in %.1f s (seed %d)%n", (System.nanoTime() - start) / 1e9, seed);
            return 0;
        }
    }
}
