package dev.glora.cli;

import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.data.FmnistVtab;
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
@Command(name = "data", mixinStandardHelpOptions = true, description = "Build data sets.",
        subcommands = DataCommand.FmnistVtabCommand.class)
final class DataCommand {

    /** {@code glora data fmnist-vtab}: the six FMNIST-VTAB tasks as VTAB-1K folders. */
    @Command(name = "fmnist-vtab", mixinStandardHelpOptions = true,
            description = "Write the six FMNIST-VTAB tasks (new5, all10, invert, rotation, location, count) and the"
                    + " new5 few-shot lists as VTAB-1K task folders of PNG images, deterministically from the seed.")
    static final class FmnistVtabCommand implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Option(names = "--idx", required = true, paramLabel = "DIR",
                description = "folder with the Fashion-MNIST IDX files (e.g. /usr/share/datasets/fashion-mnist)")
        private Path idx;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder to write the tasks into")
        private Path out;

        @Option(names = "--seed", defaultValue = "0", description = "seed of every draw (default: ${DEFAULT-VALUE})")
        private long seed;

        @Option(names = "--train", defaultValue = "800", description = "training examples per task (default: ${DEFAULT-VALUE})")
        private int train;

        @Option(names = "--val", defaultValue = "200", description = "validation examples per task (default: ${DEFAULT-VALUE})")
        private int val;

        @Option(names = "--large-val", defaultValue = "0", paramLabel = "N",
                description = "also write val<N>.txt, a larger selection list of N images drawn from the train split"
                        + " apart from train and val, which stay the same (issue 19 uses 2000; default: none)")
        private int largeVal;

        @Option(names = "--test", defaultValue = "-1",
                description = "test examples per task, -1 for the whole test split (default: ${DEFAULT-VALUE})")
        private int test;

        @Override
        public Integer call() throws Exception {
            long start = System.nanoTime();
            ImageDataset trainSplit = Idx.readSplit(idx, "train");
            ImageDataset testSplit = Idx.readSplit(idx, "t10k");
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("producer", "glora data fmnist-vtab " + Provenance.codeVersion());
            try (Stream<Path> files = Files.list(idx)) {
                files.filter(f -> f.getFileName().toString().contains("-ubyte")).sorted()
                        .forEach(f -> provenance.put("sha256:" + f.getFileName(), Provenance.sha256(f)));
            }
            FmnistVtab.Sizes sizes = new FmnistVtab.Sizes(train, val, test, largeVal);
            for (FmnistVtab.Task task : FmnistVtab.Task.values()) {
                FmnistVtab.write(task, trainSplit, testSplit, out.resolve(task.folder()), seed, sizes, provenance);
                spec.commandLine().getOut().printf("%-9s %2d classes  written to %s%n", task.folder(), task.classes(),
                        out.resolve(task.folder()));
            }
            spec.commandLine().getOut().printf("done in %.1f s (seed %d)%n", (System.nanoTime() - start) / 1e9, seed);
            return 0;
        }
    }
}
