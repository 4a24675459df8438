package dev.glora.cli;

import static dev.glora.cli.CliRun.glora;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.ConfigJson;
import dev.glora.supernet.config.LayerConfig;
import dev.glora.supernet.config.SubnetConfig;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.merge.Reparameterizer;
import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import dev.glora.worker.TinyJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training and evaluation commands, end to end on a tiny backbone and a tiny task. */
class TrainingCommandsTest {

    @TempDir Path dir;

    private final VitArchitecture arch = TinyModels.tinyArch();
    private Path backbone;
    private Path task;

    @BeforeEach
    void writeInputs() throws IOException {
        backbone = dir.resolve("backbone.safetensors");
        Safetensors.write(VitInit.random(arch, 0), backbone);
        task = dir.resolve("task");
        writeTask(task, 2);
    }

    /** A VTAB-1K folder of 8x8 grey PNGs in {@code classes} brightness classes. */
    static void writeTask(Path task, int classes) throws IOException {
        TinyJob.writeTask(task, classes, 24, 12);
    }

    @Test
    void trainSupernetWritesASupernetWithItsHistoryAndRefusesToOverwriteIt() {
        Path out = dir.resolve("supernet.safetensors");
        CliRun result =
                glora(
                        "train-supernet",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        out.toString(),
                        "--ranks",
                        "2,1",
                        "--epochs",
                        "2",
                        "--batch",
                        "8",
                        "--warmup",
                        "0",
                        "--lr",
                        "1e-3",
                        "--threads",
                        "1");
        assertEquals(0, result.status(), result.err());
        assertTrue(result.err().contains("epoch 2/2"), result.err());
        assertTrue(
                result.err().contains("val[random]") && result.err().contains("val[all-lora]"),
                result.err());
        Checkpoint supernet = Safetensors.read(out);
        assertEquals("2", supernet.metadata().get(Supernet.RANK_KEY));
        assertEquals("2,1", supernet.metadata().get(Supernet.RANKS_KEY));
        assertEquals("2", supernet.metadata().get("num_classes"));
        assertTrue(supernet.metadata().get("train_history").contains("\"epoch\":2"));
        assertEquals("uniform", supernet.metadata().get("sampling"));
        assertFalse(
                Files.exists(TrainingRun.resumeFile(out)),
                "the resume point is removed at the end");

        Path sandwich = dir.resolve("sandwich.safetensors");
        CliRun sandwiched =
                glora(
                        "train-supernet",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        sandwich.toString(),
                        "--ranks",
                        "2,1",
                        "--epochs",
                        "1",
                        "--batch",
                        "8",
                        "--warmup",
                        "0",
                        "--threads",
                        "1",
                        "--sampling",
                        "sandwich");
        assertEquals(0, sandwiched.status(), sandwiched.err());
        assertEquals("sandwich", Safetensors.read(sandwich).metadata().get("sampling"));
        CliRun greedy =
                glora(
                        "train-supernet",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("greedy.safetensors").toString(),
                        "--sampling",
                        "greedy");
        assertEquals(Glora.INPUT_ERROR, greedy.status());
        assertTrue(
                greedy.err()
                        .contains(
                                "'--sampling': must be one of uniform, sandwich, limited, got greedy"),
                greedy.err());

        Path limited = dir.resolve("limited.safetensors");
        CliRun within =
                glora(
                        "train-supernet",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        limited.toString(),
                        "--ranks",
                        "2,1",
                        "--epochs",
                        "1",
                        "--batch",
                        "8",
                        "--warmup",
                        "0",
                        "--threads",
                        "1",
                        "--sampling",
                        "limited",
                        "--max-params",
                        "300");
        assertEquals(0, within.status(), within.err());
        assertTrue(within.err().contains("val[limited]"), within.err());
        assertEquals(
                "limited max_params 300", Safetensors.read(limited).metadata().get("sampling"));
        CliRun noLimit =
                glora(
                        "train-supernet",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("nolimit.safetensors").toString(),
                        "--sampling",
                        "limited");
        assertEquals(Glora.INPUT_ERROR, noLimit.status());
        assertTrue(noLimit.err().contains("--sampling limited needs --max-params"), noLimit.err());
        CliRun strayLimit =
                glora(
                        "train-supernet",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("stray.safetensors").toString(),
                        "--max-params",
                        "300");
        assertEquals(Glora.INPUT_ERROR, strayLimit.status());
        assertTrue(
                strayLimit.err().contains("--max-params applies to --sampling limited only"),
                strayLimit.err());
        CliRun negative =
                glora(
                        "train-supernet",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("negative.safetensors").toString(),
                        "--sampling",
                        "limited",
                        "--max-params",
                        "-5");
        assertEquals(Glora.INPUT_ERROR, negative.status());
        assertTrue(
                negative.err()
                        .contains(
                                "--max-params -5: limited sampling needs a parameter limit of at least 0"),
                negative.err());

        CliRun again =
                glora(
                        "train-supernet",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        out.toString(),
                        "--epochs",
                        "2");
        assertEquals(Glora.INPUT_ERROR, again.status());
        assertTrue(again.err().contains("already exists and holds a finished run"), again.err());
    }

    @Test
    void evaluatePrintsJsonForASupernetWithAConfig() throws IOException {
        Path supernet = dir.resolve("supernet.safetensors");
        Safetensors.write(
                Supernet.fresh(
                        VitInit.withNewHead(VitInit.random(arch, 0), arch, 2, 1),
                        arch.withNumClasses(2),
                        2,
                        1),
                supernet);
        Path config = dir.resolve("config.json");
        ConfigJson.write(
                SubnetConfig.uniform(
                        Supernet.layerNames(arch),
                        LayerConfig.of("LoRA_2", "vector", "none", "constant", "vector")),
                Map.of(),
                config);
        CliRun result =
                glora(
                        "evaluate",
                        "--model",
                        supernet.toString(),
                        "--config",
                        config.toString(),
                        "--task",
                        task.toString(),
                        "--split",
                        "val",
                        "--json");
        assertEquals(0, result.status(), result.err());
        JsonObject json = JsonParser.parseString(result.out()).getAsJsonObject();
        assertEquals(12, json.get("n").getAsInt());
        assertEquals(2, json.get("per_class").getAsJsonArray().size());
        double accuracy = json.get("accuracy").getAsDouble();
        assertTrue(accuracy >= 0 && accuracy <= 1);

        CliRun noConfig =
                glora("evaluate", "--model", supernet.toString(), "--task", task.toString());
        assertEquals(Glora.INPUT_ERROR, noConfig.status());
        assertTrue(
                noConfig.err().contains("is a supernet; --config names the subnet"),
                noConfig.err());
    }

    @Test
    void evaluateNamesTheLineOfALabelTheModelCannotPredict() throws IOException {
        Path wide = dir.resolve("wide");
        writeTask(wide, 5);
        CliRun result =
                glora(
                        "evaluate",
                        "--model",
                        backbone.toString(),
                        "--task",
                        wide.toString(),
                        "--split",
                        "test");
        assertEquals(Glora.INPUT_ERROR, result.status());
        assertTrue(
                result.err().contains("test.txt:4: label 3 is outside the model's 3 classes"),
                result.err());
    }

    @Test
    void finetuneLoraExportsAPlainCheckpointThatEvaluates() {
        Path out = dir.resolve("lora.safetensors");
        CliRun result =
                glora(
                        "finetune",
                        "--method",
                        "lora",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        out.toString(),
                        "--epochs",
                        "1",
                        "--batch",
                        "8",
                        "--threads",
                        "1");
        assertEquals(0, result.status(), result.err());
        // rank 8 on each of the two qkv layers: 8 * (24 + 8) each, plus the 2-class head: 2 * 8 + 2
        // = 530
        assertTrue(result.out().contains("530 trainable parameters"), result.out());
        assertFalse(result.out().contains("not held out"), result.out());
        Checkpoint merged = Safetensors.read(out);
        assertFalse(merged.tensors().keySet().stream().anyMatch(name -> name.endsWith(".Bd")));
        assertFalse(merged.metadata().containsKey(Supernet.RANK_KEY));
        assertEquals("lora", merged.metadata().get("method"));
        CliRun evaluated =
                glora("evaluate", "--model", out.toString(), "--task", task.toString(), "--json");
        assertEquals(0, evaluated.status(), evaluated.err());
        assertEquals(
                12, JsonParser.parseString(evaluated.out()).getAsJsonObject().get("n").getAsInt());

        // --rank sizes the baseline: rank 2 on the two qkv layers, 2 * (24 + 8) each, plus the
        // head: 146;
        // trained on all labelled images, its val figure is said not to be held out
        CliRun small =
                glora(
                        "finetune",
                        "--method",
                        "lora",
                        "--rank",
                        "2",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("small.safetensors").toString(),
                        "--epochs",
                        "1",
                        "--batch",
                        "8",
                        "--threads",
                        "1",
                        "--train-list",
                        "trainval");
        assertEquals(0, small.status(), small.err());
        assertTrue(small.out().contains("146 trainable parameters"), small.out());
        assertTrue(
                small.out().contains("(not held out: train800val200 holds val200's images)"),
                small.out());

        CliRun bad =
                glora(
                        "finetune",
                        "--method",
                        "prompt",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("x").toString());
        assertEquals(Glora.INPUT_ERROR, bad.status());
        assertTrue(
                bad.err()
                        .contains(
                                "--method prompt is not one of linear, full, lora, glora-fixed, glora"),
                bad.err());
    }

    @Test
    void finetuneGloraRetrainsASearchedConfigurationStartingFromItsSupernet() {
        Path supernet = dir.resolve("supernet.safetensors");
        assertEquals(
                0,
                glora(
                                "train-supernet",
                                "--backbone",
                                backbone.toString(),
                                "--task",
                                task.toString(),
                                "--out",
                                supernet.toString(),
                                "--ranks",
                                "2,1",
                                "--epochs",
                                "1",
                                "--batch",
                                "8",
                                "--warmup",
                                "0",
                                "--threads",
                                "1")
                        .status());
        Path config = dir.resolve("best-config.json");
        SubnetConfig modes =
                SubnetConfig.uniform(
                        Supernet.layerNames(arch),
                        LayerConfig.of("LoRA_2", "vector", "LoRA_1", "constant", "vector"));
        ConfigJson.write(modes, Map.of("val_accuracy", 0.5), config);
        Path out = dir.resolve("retrained.safetensors");
        // a learning rate too small to move anything: the export is then the supernet's own merge
        CliRun result =
                glora(
                        "finetune",
                        "--method",
                        "glora",
                        "--config",
                        config.toString(),
                        "--supernet",
                        supernet.toString(),
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        out.toString(),
                        "--epochs",
                        "1",
                        "--batch",
                        "8",
                        "--warmup",
                        "0",
                        "--lr",
                        "1e-12",
                        "--threads",
                        "1");
        assertEquals(0, result.status(), result.err());
        long trainable = Supernet.parameterCount(arch, modes) + 2 * arch.embedDim() + 2;
        assertTrue(
                result.out()
                        .contains(
                                String.format(Locale.ROOT, "%,d trainable parameters", trainable)),
                result.out());
        Checkpoint retrained = Safetensors.read(out);
        assertEquals("glora", retrained.metadata().get("method"));
        assertTrue(retrained.metadata().get("supernet").contains("sha256:"));
        assertFalse(retrained.tensors().keySet().stream().anyMatch(name -> name.endsWith(".Bd")));
        Checkpoint expected =
                Reparameterizer.merge(Safetensors.read(supernet), modes, Map.of(), "supernet");
        String weight = "blocks.0.mlp.fc1.weight";
        float[] got = retrained.tensors().get(weight).data();
        float[] want = expected.tensors().get(weight).data();
        float[] original = Safetensors.read(backbone).tensors().get(weight).data();
        double fromSupernet = 0;
        double fromBackbone = 0;
        for (int i = 0; i < got.length; i++) {
            fromSupernet = Math.max(fromSupernet, Math.abs(got[i] - want[i]));
            fromBackbone = Math.max(fromBackbone, Math.abs(got[i] - original[i]));
        }
        assertTrue(
                fromSupernet < 1e-6,
                "the retraining starts from the supernet's adapters: " + fromSupernet);
        assertTrue(
                fromBackbone > 1e-4, "the supernet's adapters change the weight: " + fromBackbone);
    }

    @Test
    void finetuneGloraRefusesASupernetOfAnotherBackboneAndAMissingConfig() throws IOException {
        Path other = dir.resolve("other.safetensors");
        Safetensors.write(
                Supernet.fresh(
                        VitInit.withNewHead(VitInit.random(arch, 7), arch, 2, 1),
                        arch.withNumClasses(2),
                        2,
                        1),
                other);
        Path config = dir.resolve("config.json");
        ConfigJson.write(
                SubnetConfig.uniform(
                        Supernet.layerNames(arch),
                        LayerConfig.of("LoRA_2", "none", "none", "none", "none")),
                Map.of(),
                config);
        CliRun foreign =
                glora(
                        "finetune",
                        "--method",
                        "glora",
                        "--config",
                        config.toString(),
                        "--supernet",
                        other.toString(),
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("x").toString(),
                        "--epochs",
                        "1");
        assertEquals(Glora.INPUT_ERROR, foreign.status());
        assertTrue(
                foreign.err().contains(other + ": tensor ")
                        && foreign.err().contains("differs from the backbone's"),
                foreign.err());

        CliRun noConfig =
                glora(
                        "finetune",
                        "--method",
                        "glora",
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("y").toString());
        assertEquals(Glora.INPUT_ERROR, noConfig.status());
        assertTrue(noConfig.err().contains("--method glora needs --config"), noConfig.err());

        CliRun stray =
                glora(
                        "finetune",
                        "--method",
                        "lora",
                        "--config",
                        config.toString(),
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        dir.resolve("z").toString());
        assertEquals(Glora.INPUT_ERROR, stray.status());
        assertTrue(
                stray.err().contains("--config and --supernet go with --method glora only"),
                stray.err());

        Path fresh = dir.resolve("fresh.safetensors");
        CliRun fromScratch =
                glora(
                        "finetune",
                        "--method",
                        "glora",
                        "--config",
                        config.toString(),
                        "--backbone",
                        backbone.toString(),
                        "--task",
                        task.toString(),
                        "--out",
                        fresh.toString(),
                        "--epochs",
                        "1",
                        "--batch",
                        "8",
                        "--threads",
                        "1");
        assertEquals(0, fromScratch.status(), fromScratch.err());
        assertFalse(Safetensors.read(fresh).metadata().containsKey("supernet"));
    }

    @Test
    void theProgressBarRedrawsInPlaceOnAConsoleAndLogsEpochsOtherwise() {
        StringWriter console = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(console, true), 3, true);
        bar.onStart(1, List.of(), 4);
        bar.onStep(1, 4, 4, 0.5, 100);
        bar.onEpoch(new EpochResult(1, 3, 1e-4, 0.5, 100, 1, Map.of("fixed", 0.75)));
        assertTrue(
                console.toString()
                        .startsWith(
                                "\repoch 1/3 [########################] 4/4  loss 0.5000  100 img/s"
                                        + "  ETA "),
                console.toString());
        assertTrue(console.toString().contains("val[fixed] 75.00%"));
        StringWriter log = new StringWriter();
        ProgressBar plain = new ProgressBar(new PrintWriter(log, true), 3, false);
        plain.onStart(1, List.of(), 4);
        plain.onStep(1, 4, 4, 0.5, 100);
        assertEquals("", log.toString());
        assertEquals("2m05s", ProgressBar.duration(125));
    }
}
