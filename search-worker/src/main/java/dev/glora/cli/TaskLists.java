package dev.glora.cli;

import picocli.CommandLine.Option;

/** Which lists of a task folder a training command learns from and validates on. */
final class TaskLists {

    @Option(
            names = "--train-list",
            defaultValue = "train800",
            description = "training list, e.g. train4shot (default: ${DEFAULT-VALUE})")
    String train;

    @Option(
            names = "--val-list",
            defaultValue = "val200",
            description = "validation list (default: ${DEFAULT-VALUE})")
    String val;
}
