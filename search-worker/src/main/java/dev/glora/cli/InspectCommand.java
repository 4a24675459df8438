package dev.glora.cli;

import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.config.ConfigException;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code glora inspect}: what a checkpoint holds, and what a configuration costs. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description =
                "Show a checkpoint's architecture, metadata and tensors; with --config on a supernet, the"
                        + " per-layer and total trainable parameters of that configuration.")
final class InspectCommand implements Callable<Integer> {

    @Spec private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "checkpoint (.safetensors)")
    private Path file;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "configuration to count (glora-config/1 JSON)")
    private Path config;

    @Option(names = "--tensors", description = "list every tensor with its shape")
    private boolean tensors;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Checkpoint checkpoint = Safetensors.read(file);
        long parameters =
                checkpoint.tensors().values().stream().mapToLong(t -> t.data().length).sum();
        out.printf("file: %s%n", file);
        boolean described = VitArchitecture.isDescribedBy(checkpoint.metadata());
        boolean supernet = checkpoint.metadata().containsKey(Supernet.RANK_KEY);
        out.printf(
                "kind: %s%n",
                supernet
                        ? "GLoRA supernet, rank " + Supernet.rankOf(checkpoint, file.toString())
                        : described
                                ? "plain ViT"
                                : "plain checkpoint without architecture metadata");
        out.printf("tensors: %d, parameters: %,d%n", checkpoint.tensors().size(), parameters);
        if (described) {
            VitArchitecture arch =
                    VitArchitecture.fromMetadata(checkpoint.metadata(), file.toString());
            out.printf(
                    "architecture: img %d, patch %d, channels %d, width %d, depth %d, heads %d, mlp ratio %s,"
                            + " classes %d, qkv bias %s%n",
                    arch.imgSize(),
                    arch.patchSize(),
                    arch.inChans(),
                    arch.embedDim(),
                    arch.depth(),
                    arch.numHeads(),
                    arch.mlpRatio(),
                    arch.numClasses(),
                    arch.qkvBias());
        }
        out.println("metadata:");
        checkpoint.metadata().forEach((key, value) -> out.printf("  %s = %s%n", key, value));
        if (tensors) {
            out.println("tensor list:");
            for (Map.Entry<String, Tensor> t : checkpoint.tensors().entrySet()) {
                out.printf("  %-40s %s%n", t.getKey(), t.getValue().shapeString());
            }
        }
        if (config != null) {
            if (!supernet) {
                throw new ConfigException(
                        file + ": --config needs a supernet checkpoint (with glora_rank metadata)");
            }
            countParameters(out, checkpoint);
        }
        return 0;
    }

    private void countParameters(PrintWriter out, Checkpoint checkpoint) {
        VitArchitecture arch = VitArchitecture.fromMetadata(checkpoint.metadata(), file.toString());
        SubnetConfig subnet = ConfigJson.read(config);
        subnet.checkFits(Supernet.layerNames(arch), Supernet.rankOf(checkpoint, file.toString()));
        out.printf("configuration %s:%n", config);
        out.printf(
                "  %-22s %-8s %-8s %-8s %-8s %-8s %12s%n",
                "layer", "A", "B", "C", "D", "E", "parameters");
        Map<String, Long> counts = Supernet.parameterCounts(arch, subnet);
        subnet.layers()
                .forEach(
                        (layer, c) ->
                                out.printf(
                                        "  %-22s %-8s %-8s %-8s %-8s %-8s %,12d%n",
                                        layer,
                                        c.a(),
                                        c.b(),
                                        c.c(),
                                        c.d(),
                                        c.e(),
                                        counts.get(layer)));
        long head = (long) arch.numClasses() * arch.embedDim() + arch.numClasses();
        out.printf(
                "  total trainable (head excluded): %,d; head: %,d%n",
                counts.values().stream().mapToLong(Long::longValue).sum(), head);
    }
}
