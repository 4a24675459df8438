package dev.glora.cli;

import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.importer.CheckpointImporter;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code glora import}: a hub timm safetensors file or a Google ViT .npz as a self-describing
 * checkpoint.
 */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = {
            "Turn a foreign ViT checkpoint into one every glora command and the service accept: timm-named"
                    + " safetensors (F32, F16, BF16, as the Hugging Face hub ships them) or Google's original ViT .npz.",
            "The architecture comes from --arch (a timm model name) or from the tensor shapes plus --num-heads"
                    + " and --mean/--std."
        })
final class ImportCommand implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Option(
            names = "--from",
            required = true,
            paramLabel = "FILE",
            description = "source checkpoint (.safetensors or .npz)")
    private Path from;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE",
            description = "checkpoint to write (.safetensors)")
    private Path out;

    @Option(
            names = "--arch",
            paramLabel = "NAME",
            description =
                    "timm model name, with or without a pretrained tag (vit_base_patch16_224.augreg_in21k,"
                            + " deit_small_patch16_224, vit_base_patch16_224_in21k, ...); mean/std follow the tag")
    private String arch;

    @Option(
            names = "--num-heads",
            paramLabel = "N",
            description = "attention heads (cannot be read from safetensors)")
    private Integer numHeads;

    @Option(
            names = "--mean",
            paramLabel = "R,G,B",
            description = "per-channel mean the weights were trained with")
    private String mean;

    @Option(
            names = "--std",
            paramLabel = "R,G,B",
            description = "per-channel std the weights were trained with")
    private String std;

    @Option(
            names = "--img-size",
            paramLabel = "PX",
            description =
                    "input size to adapt at; pos_embed is resampled (bicubic, as timm does) when it differs")
    private Integer imgSize;

    @Option(names = "--force", description = "overwrite --out if it exists")
    private boolean force;

    @Override
    public Integer call() {
        if (Files.exists(out) && !force) {
            throw new CheckpointException(out + " exists; choose another --out or give --force");
        }
        CheckpointImporter.Imported imported =
                CheckpointImporter.read(
                        from,
                        new CheckpointImporter.Options(
                                arch,
                                numHeads,
                                mean == null ? null : VitArchitecture.floats(mean),
                                std == null ? null : VitArchitecture.floats(std),
                                imgSize));
        imported.write(out);
        PrintWriter o = spec.commandLine().getOut();
        VitArchitecture a = imported.architecture();
        long parameters = imported.parameters();
        o.printf(
                "imported %s (%s) as %s%n",
                from.getFileName(),
                imported.metadata().get("source_format"),
                imported.architectureName());
        o.printf(
                "architecture: img %d, patch %d, channels %d, width %d, depth %d, heads %d, mlp ratio %s, classes %d,"
                        + " qkv bias %s, mean %s, std %s%n",
                a.imgSize(),
                a.patchSize(),
                a.inChans(),
                a.embedDim(),
                a.depth(),
                a.numHeads(),
                a.mlpRatio(),
                a.numClasses(),
                a.qkvBias(),
                a.toMetadata().get("mean"),
                a.toMetadata().get("std"));
        if (imported.dropped().isEmpty()) {
            o.println("dropped: nothing");
        }
        imported.dropped().forEach(d -> o.println("dropped: " + d));
        imported.notes().forEach(n -> o.println("note: " + n));
        o.printf(
                "wrote %s: %,d tensors, %,d parameters, sha256 %s%n",
                out, imported.shapes().size(), parameters, Provenance.sha256(out));
        return 0;
    }
}
