package dev.glora.cli;

import com.google.gson.GsonBuilder;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.train.Accuracy;
import dev.glora.supernet.train.Evaluation;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code glora evaluate}: top-1 accuracy of a model on a split of a task. */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description =
                "Accuracy of a plain checkpoint, or of a supernet with a configuration, on a split of a"
                        + " VTAB-1K task.")
final class EvaluateCommand implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Mixin private ModelChoice model;

    @Option(
            names = "--task",
            required = true,
            paramLabel = "DIR",
            description = "VTAB-1K task folder")
    private Path task;

    @Option(
            names = "--split",
            defaultValue = "test",
            description = "test, val, train, trainval or a list name (default: ${DEFAULT-VALUE})")
    private String split;

    @Option(
            names = "--batch",
            defaultValue = "256",
            description = "images per forward pass (default: ${DEFAULT-VALUE})")
    private int batch;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: all cores)")
    private Integer threads;

    @Option(names = "--json", description = "print {\"accuracy\", \"n\", \"per_class\"} as JSON")
    private boolean json;

    @Override
    public Integer call() {
        if (threads != null) {
            TorchRuntime.setThreads(threads);
        }
        ImageDataset data = TaskData.read(task, split);
        Accuracy accuracy =
                model.use(
                        (logits, arch) ->
                                Evaluation.accuracy(
                                        logits,
                                        new Preprocess(arch),
                                        data,
                                        arch.numClasses(),
                                        batch));
        if (json) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("accuracy", accuracy.value());
            result.put("n", accuracy.n());
            result.put("correct", accuracy.correct());
            result.put("per_class", accuracy.perClass());
            result.put("model", model.file().toString());
            result.put("split", TaskData.list(split));
            spec.commandLine()
                    .getOut()
                    .println(
                            new GsonBuilder()
                                    .serializeSpecialFloatingPointValues()
                                    .create()
                                    .toJson(result));
        } else {
            spec.commandLine()
                    .getOut()
                    .printf(
                            Locale.ROOT,
                            "%s on %s/%s: %.2f%% (%d of %d)%n",
                            model.file(),
                            task,
                            TaskData.list(split),
                            100 * accuracy.value(),
                            accuracy.correct(),
                            accuracy.n());
            double[] perClass = accuracy.perClass();
            for (int c = 0; c < perClass.length; c++) {
                spec.commandLine()
                        .getOut()
                        .printf(
                                Locale.ROOT,
                                "  class %d: %.2f%% of %d%n",
                                c,
                                100 * perClass[c],
                                accuracy.countPerClass()[c]);
            }
        }
        return 0;
    }
}
