package dev.glora.cli;

import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.vit.VitArchitecture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code glora export}: merges a supernet and a configuration into a plain ViT checkpoint. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Merge a supernet with a glora-config/1 JSON into a plain ViT checkpoint (same architecture"
                + " and speed as the backbone).")
final class ExportCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--supernet", required = true, paramLabel = "FILE", description = "supernet checkpoint (.safetensors)")
    private Path supernet;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "configuration (glora-config/1 JSON)")
    private Path config;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "merged checkpoint to write")
    private Path out;

    @Override
    public Integer call() {
        Checkpoint checkpoint = Safetensors.read(supernet);
        SubnetConfig subnet = ConfigJson.read(config);
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("producer", "glora export " + Provenance.codeVersion());
        provenance.put("merged_from_sha256", Provenance.sha256(supernet));
        provenance.put("config_sha256", Provenance.sha256(config));
        provenance.put("glora_config", ConfigJson.format(subnet, Map.of()).replaceAll("\\s+", ""));
        Checkpoint merged = Reparameterizer.merge(checkpoint, subnet, provenance, supernet.toString());
        Safetensors.write(merged, out);
        VitArchitecture arch = VitArchitecture.fromMetadata(checkpoint.metadata(), supernet.toString());
        long parameters = merged.tensors().values().stream().mapToLong(t -> t.data().length).sum();
        spec.commandLine().getOut().printf(
                "merged %d GLoRA layers (%,d adapter parameters) into %s: %,d parameters, %,d bytes%n",
                Supernet.layerNames(arch).size(), Supernet.parameterCount(arch, subnet), out, parameters,
                fileSize(out));
        return 0;
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
