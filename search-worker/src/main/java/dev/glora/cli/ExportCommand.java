package dev.glora.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.jobs.ModelBundle;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.importer.TransformersVit;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.onnx.OnnxExport;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code glora export}: merges a supernet and a configuration into a plain ViT checkpoint. */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description =
                "Merge a supernet with a glora-config/1 JSON into a plain ViT checkpoint (same architecture"
                        + " and speed as the backbone).")
final class ExportCommand implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Option(
            names = "--supernet",
            required = true,
            paramLabel = "FILE",
            description = "supernet checkpoint (.safetensors)")
    private Path supernet;

    @Option(
            names = "--config",
            required = true,
            paramLabel = "FILE",
            description = "configuration (glora-config/1 JSON)")
    private Path config;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "PATH",
            description = "merged checkpoint to write; with" + " --format bundle, the folder")
    private Path out;

    /** What {@code --out} becomes. */
    enum Format {
        safetensors,
        bundle,
        onnx,
        transformers
    }

    @Option(
            names = "--format",
            defaultValue = "safetensors",
            description =
                    "safetensors: the merged checkpoint;"
                            + " bundle: a folder timm reads with create_model(\"local-dir:PATH\"): model.safetensors, timm's"
                            + " config.json (label names, input size, normalisation) and a README.md model card; onnx: the merged"
                            + " ViT as an ONNX graph (opset 17, dynamic batch, input pixel_values normalised as the model's mean"
                            + " and std say, output logits) for ONNX Runtime and other deployment runtimes;"
                            + " transformers: a folder"
                            + " ViTForImageClassification.from_pretrained reads (model.safetensors in transformers'"
                            + " names, config.json"
                            + " with id2label, preprocessor_config.json) (default:"
                            + " ${DEFAULT-VALUE})")
    private Format format;

    @Option(
            names = "--task",
            paramLabel = "DIR",
            description =
                    "with --format bundle, onnx or transformers: the task"
                            + " folder, for"
                            + " its name and class names (task.json)")
    private Path task;

    @Override
    public Integer call() throws IOException {
        Checkpoint checkpoint = Safetensors.read(supernet);
        SubnetConfig subnet = ConfigJson.read(config);
        if ((format == Format.bundle || format == Format.transformers)
                && Files.exists(out.resolve(ModelBundle.WEIGHTS))) {
            throw new CheckpointException(
                    out + " holds a model already; choose" + " another --out");
        }
        List<String> labels = task == null ? List.of() : Vtab1k.classNames(task);
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("producer", "glora export " + Provenance.codeVersion());
        provenance.put("merged_from_sha256", Provenance.sha256(supernet));
        provenance.put("config_sha256", Provenance.sha256(config));
        provenance.put("glora_config", ConfigJson.format(subnet, Map.of()).replaceAll("\\s+", ""));
        Checkpoint merged =
                Reparameterizer.merge(checkpoint, subnet, provenance, supernet.toString());
        VitArchitecture arch =
                VitArchitecture.fromMetadata(checkpoint.metadata(), supernet.toString());
        Path file =
                format == Format.bundle || format == Format.transformers
                        ? out.resolve(ModelBundle.WEIGHTS)
                        : out;
        if (format == Format.bundle) {
            Files.createDirectories(out);
        }
        // the merged model's own: a bias-less qkv gains a bias where a term needs one
        VitArchitecture mergedArch =
                VitArchitecture.fromMetadata(merged.metadata(), "the merged model");
        if (format == Format.onnx) {
            Map<String, String> props = new LinkedHashMap<>(merged.metadata());
            if (!labels.isEmpty()) {
                props.put("label_names", new Gson().toJson(labels));
            }
            OnnxExport.write(merged, mergedArch, props, file);
        } else if (format == Format.transformers) {
            if (!labels.isEmpty() && labels.size() != arch.numClasses()) {
                throw new CheckpointException(
                        "the task names "
                                + labels.size()
                                + " classes, the model has "
                                + arch.numClasses());
            }
            TransformersVit.write(merged, mergedArch, labels, out);
        } else {
            Safetensors.write(merged, file);
        }
        if (format == Format.bundle) {
            JsonObject best = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
            if (!best.has("backbone")) {
                // a configuration written by hand: the card describes the supernet's architecture
                JsonObject backbone = new JsonObject();
                backbone.addProperty("arch", VitArchitecture.nameOf(checkpoint.metadata()));
                arch.toMetadata().forEach(backbone::addProperty);
                best.add("backbone", backbone);
            }
            if (!best.has("trainable_parameters")) {
                best.addProperty("trainable_parameters", Supernet.parameterCount(arch, subnet));
            }
            ModelBundle.Facts facts =
                    new ModelBundle.Facts(
                            config.getFileName().toString().replaceAll("\\.json$", ""),
                            task == null ? null : task.getFileName().toString(),
                            labels,
                            Provenance.sha256(file));
            Files.writeString(out.resolve(ModelBundle.CONFIG), ModelBundle.config(best, labels));
            Files.writeString(out.resolve(ModelBundle.CARD), ModelBundle.card(best, facts));
        }
        long parameters = merged.tensors().values().stream().mapToLong(t -> t.data().length).sum();
        spec.commandLine()
                .getOut()
                .printf(
                        "merged %d GLoRA layers (%,d adapter parameters) into %s: %,d parameters, %,d bytes%n",
                        Supernet.layerNames(arch).size(),
                        Supernet.parameterCount(arch, subnet),
                        file,
                        parameters,
                        fileSize(file));
        if (format == Format.bundle) {
            spec.commandLine()
                    .getOut()
                    .printf(
                            "bundle %s: %s, %s, %s (timm.create_model(\"local-dir:%s\","
                                    + " pretrained=True))%n",
                            out, ModelBundle.WEIGHTS, ModelBundle.CONFIG, ModelBundle.CARD, out);
        }
        return 0;
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
