package dev.glora.cli;

import static dev.glora.cli.CliRun.glora;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GloraCliTest {

    @TempDir
    Path dir;

    private final VitArchitecture arch = TinyModels.tinyArch();
    private Path supernet;
    private Path config;



    @BeforeEach
    void writeInputs() {
        supernet = dir.resolve("supernet.safetensors");
        Safetensors.write(TinyModels.trainedSupernet(TinyModels.randomBackbone(arch, 1), arch, 4, 2), supernet);
        config = dir.resolve("config.json");
        ConfigJson.write(SubnetConfig.uniform(Supernet.layerNames(arch),
                LayerConfig.of("LoRA_4", "vector", "LoRA_2", "constant", "none")), Map.of(), config);
    }

    @Test
    void exportWritesAPlainCheckpointWithProvenance() {
        Path out = dir.resolve("merged.safetensors");
        CliRun result = glora("export", "--supernet", supernet.toString(), "--config", config.toString(),
                "--out", out.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("merged 8 GLoRA layers"), result.out());
        Checkpoint merged = Safetensors.read(out);
        assertFalse(merged.tensors().keySet().stream().anyMatch(n -> n.endsWith(".Ad")));
        assertEquals(Safetensors.read(supernet).tensors().size() - 8 * 8, merged.tensors().size());
        assertTrue(merged.metadata().get("producer").startsWith("glora export"));
        assertEquals(64, merged.metadata().get("merged_from_sha256").length());
        assertTrue(merged.metadata().get("glora_config").contains("LoRA_4"));
    }

    @Test
    void inspectCountsParametersPerLayerAndInTotal() {
        CliRun result = glora("inspect", supernet.toString(), "--config", config.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("kind: GLoRA supernet, rank 4"), result.out());
        long qkv = LayerConfig.of("LoRA_4", "vector", "LoRA_2", "constant", "none").parameterCount(24, 8);
        assertEquals(4 * (24 + 8) + 24 + 2 * (8 + 1) + 1, qkv);
        assertTrue(result.out().matches("(?s).*blocks\\.0\\.attn\\.qkv\\s+LoRA_4\\s+vector\\s+LoRA_2\\s+constant\\s+none\\s+"
                + qkv + "\\n.*"), result.out());
        long total = Supernet.parameterCount(arch, ConfigJson.read(config));
        assertTrue(result.out().contains(String.format("total trainable (head excluded): %,d", total)), result.out());
    }

    @Test
    void badInputIsOneClearLineAndExitStatusTwo() throws IOException {
        Path corrupt = dir.resolve("corrupt.safetensors");
        Files.write(corrupt, new byte[] {1, 2, 3});
        CliRun result = glora("inspect", corrupt.toString());
        assertEquals(Glora.INPUT_ERROR, result.status());
        assertEquals("glora: error: " + corrupt + ": truncated: 3 bytes, but a safetensors file starts with an 8-byte"
                + " header length\n", result.err());

        Files.writeString(config, Files.readString(config).replaceFirst("LoRA_4", "LoRA_8"));
        CliRun tooHigh = glora("export", "--supernet", supernet.toString(), "--config", config.toString(),
                "--out", dir.resolve("m.safetensors").toString());
        assertEquals(Glora.INPUT_ERROR, tooHigh.status());
        assertTrue(tooHigh.err().contains("LoRA_8 is above the supernet rank 4"), tooHigh.err());
        assertFalse(Files.exists(dir.resolve("m.safetensors")), "nothing is written on error");
    }
}
