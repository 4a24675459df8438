package dev.glora.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.glora.jobs.Predictor;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageCodec;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.ImageFolders;
import dev.glora.supernet.data.Preprocess;
import dev.glora.supernet.train.Evaluation;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code glora predict}: a model's most probable classes for images, named when the model names
 * them.
 */
@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        description =
                "Classify images with a plain checkpoint (a merged model, a baseline) or a supernet with a"
                        + " configuration: the most probable classes of each image with their probabilities, by name when the"
                        + " model's metadata has the task's class_names (glora data folders keeps them).")
final class PredictCommand implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Mixin private ModelChoice model;

    @Option(
            names = "--top",
            defaultValue = "3",
            description = "classes shown per image (default: ${DEFAULT-VALUE})")
    private int top;

    @Option(
            names = "--batch",
            defaultValue = "64",
            description = "images read and scored at a time (default: ${DEFAULT-VALUE})")
    private int batch;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: all cores)")
    private Integer threads;

    @Option(
            names = "--json",
            description = "print [{\"image\", \"top\": [{\"class\", \"name\", \"probability\"}]}]")
    private boolean json;

    @Parameters(
            arity = "1..*",
            paramLabel = "IMAGE",
            description =
                    "image files, or folders whose images (at any"
                            + " depth, not hidden) are classified in path order")
    private List<Path> inputs;

    @Override
    public Integer call() {
        if (top < 1 || batch < 1) {
            throw new GloraException(
                    "--top and --batch must be at least 1, got " + top + " and " + batch);
        }
        if (threads != null) {
            TorchRuntime.setThreads(threads);
        }
        List<Path> files = images(inputs);
        List<String> names =
                Predictor.classNames(
                        Safetensors.header(model.file()).metadata(), model.file().toString());
        PrintWriter out = spec.commandLine().getOut();
        JsonArray all = new JsonArray();
        model.use(
                (logits, arch) -> {
                    if (!names.isEmpty() && names.size() != arch.numClasses()) {
                        throw new GloraException(
                                model.file()
                                        + ": class_names names "
                                        + names.size()
                                        + " classes, the head has "
                                        + arch.numClasses());
                    }
                    Preprocess preprocess = new Preprocess(arch);
                    // a batch of images at a time: photos decode to far more than their files hold
                    for (int start = 0; start < files.size(); start += batch) {
                        List<Path> chunk =
                                files.subList(start, Math.min(files.size(), start + batch));
                        List<Image> images = chunk.parallelStream().map(ImageCodec::read).toList();
                        float[][] probabilities =
                                Evaluation.probabilities(
                                        logits,
                                        preprocess,
                                        new ImageDataset(
                                                "images",
                                                images,
                                                new int[images.size()],
                                                chunk.stream().map(Path::toString).toList()),
                                        batch);
                        for (int i = 0; i < chunk.size(); i++) {
                            report(chunk.get(i), probabilities[i], names, out, all);
                        }
                    }
                    return null;
                });
        if (json) {
            out.println(new GsonBuilder().create().toJson(all));
        }
        return 0;
    }

    /** Prints an image's line, or adds its entry to {@code all} under {@code --json}. */
    private void report(Path image, float[] p, List<String> names, PrintWriter out, JsonArray all) {
        List<Predictor.Ranked> best = Predictor.rank(p, names, top);
        if (json) {
            JsonObject entry = new JsonObject();
            entry.addProperty("image", image.toString());
            JsonArray ranked = new JsonArray();
            for (Predictor.Ranked r : best) {
                JsonObject c = new JsonObject();
                c.addProperty("class", r.index());
                c.addProperty("name", r.name());
                c.addProperty("probability", p[r.index()]);
                ranked.add(c);
            }
            entry.add("top", ranked);
            all.add(entry);
        } else {
            StringBuilder line = new StringBuilder(image.toString());
            for (Predictor.Ranked r : best) {
                line.append(String.format(Locale.ROOT, "\t%s %.4f", r.name(), p[r.index()]));
            }
            out.println(line);
        }
    }

    /** The files named, and every image under the folders named, each folder's in path order. */
    private static List<Path> images(List<Path> inputs) {
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            if (!Files.isDirectory(input)) {
                files.add(
                        input); // a missing or unreadable file is reported by the image reader, by
                // name
                continue;
            }
            try (Stream<Path> walk = Files.walk(input)) {
                walk.filter(Files::isRegularFile)
                        .filter(p -> !ImageFolders.hidden(input.relativize(p)))
                        .sorted()
                        .forEach(files::add);
            } catch (IOException | UncheckedIOException e) {
                throw new GloraException(input + ": unreadable folder: " + e.getMessage());
            }
        }
        if (files.isEmpty()) {
            throw new GloraException("no images in " + inputs);
        }
        return files;
    }
}
