package dev.glora.supernet.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitModel;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Imports checkpoints written by real timm 1.0 and PyTorch 2.13 ({@code make_fixtures.py} beside
 * the files): a hub-style safetensors in F32, F16 and BF16 and a Google-layout {@code .npz} loaded
 * by timm's own {@code _load_weights}; each imported model must predict what timm predicts.
 */
class ImporterTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir Path temp;

    static Path fixture(String name) {
        try {
            return Path.of(ImporterTest.class.getResource("/importer/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Checkpoint expected() {
        return Safetensors.read(fixture("expected.safetensors"));
    }

    private static float[] logits(Checkpoint imported, Tensor images) {
        try (VitModel model = VitModel.load(imported, null, "imported")) {
            return TinyModels.logits(model, images);
        }
    }

    private static void assertClose(Tensor expected, float[] actual) {
        assertEquals(expected.data().length, actual.length);
        for (int i = 0; i < actual.length; i++) {
            assertEquals(expected.data()[i], actual[i], TOLERANCE, "logit " + i);
        }
    }

    private static CheckpointImporter.Options heads(int heads, float mean) {
        float[] m = {mean, mean, mean};
        return new CheckpointImporter.Options(null, heads, m, m, null);
    }

    @Test
    void hubSafetensorsInEveryPrecisionPredictsWhatTimmPredicts() {
        Checkpoint expected = expected();
        for (String tag : new String[] {"f32", "f16", "bf16"}) {
            CheckpointImporter.Imported imported =
                    CheckpointImporter.read(
                            fixture("timm-tiny-" + tag + ".safetensors"), heads(3, 0.5f));
            VitArchitecture arch = imported.architecture();
            assertEquals(32, arch.imgSize());
            assertEquals(16, arch.patchSize());
            assertEquals(48, arch.embedDim());
            assertEquals(2, arch.depth());
            assertEquals(4.0, arch.mlpRatio());
            assertEquals(5, arch.numClasses());
            assertClose(
                    expected.tensor("logits_timm_" + tag),
                    logits(imported.checkpoint(), expected.tensor("images")));
        }
    }

    @Test
    void googleNpzPredictsWhatTimmLoadWeightsPredicts() {
        CheckpointImporter.Imported imported =
                CheckpointImporter.read(
                        fixture("google-tiny.npz"), CheckpointImporter.Options.none());
        assertEquals(
                3, imported.architecture().numHeads(), "heads read from the query kernel's shape");
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, imported.architecture().mean());
        assertTrue(imported.dropped().isEmpty());
        Checkpoint expected = expected();
        assertClose(
                expected.tensor("logits_npz"),
                logits(imported.checkpoint(), expected.tensor("images")));
    }

    @Test
    void inTwentyOneKPreLogitsAndTheHeadOnItAreDroppedAndSaidSo() {
        CheckpointImporter.Imported imported =
                CheckpointImporter.read(
                        fixture("google-tiny-prelogits.npz"), CheckpointImporter.Options.none());
        assertEquals(2, imported.dropped().size(), imported.dropped().toString());
        assertTrue(imported.dropped().get(0).startsWith("pre_logits"));
        assertTrue(imported.dropped().get(1).startsWith("head [7, 48]"));
        assertEquals(1, imported.architecture().numClasses(), "a stand-in head");
        assertTrue(imported.checkpoint().meta("source_dropped").contains("pre_logits"));
    }

    @Test
    void theWrittenFileRecordsArchitectureAndProvenanceAndLoadsAgain() {
        Path source = fixture("timm-tiny-f16.safetensors");
        CheckpointImporter.Imported imported = CheckpointImporter.read(source, heads(3, 0.5f));
        Path out = temp.resolve("imported.safetensors");
        Safetensors.write(imported.checkpoint(), out);
        Checkpoint written = Safetensors.read(out);
        assertEquals("inferred", written.meta(CheckpointImporter.ARCH_KEY));
        assertEquals("timm-tiny-f16.safetensors", written.meta("source_file"));
        assertEquals(Provenance.sha256(source), written.meta("source_sha256"));
        assertEquals("timm-safetensors", written.meta("source_format"));
        assertEquals("nothing", written.meta("source_dropped"));
        assertEquals(
                imported.architecture(),
                VitArchitecture.fromMetadata(written.metadata(), "written"));
        Checkpoint expected = expected();
        assertClose(expected.tensor("logits_timm_f16"), logits(written, expected.tensor("images")));
    }

    @Test
    void posEmbedResamplesAsTimmDoes() {
        Checkpoint expected = expected();
        for (int side : new int[] {24, 7, 5}) {
            Tensor actual = PosEmbedResampler.resample(expected.tensor("pos_14"), side);
            Tensor want = expected.tensor("pos_" + side);
            assertArrayEquals(want.shape(), actual.shape());
            for (int i = 0; i < actual.data().length; i++) {
                assertEquals(
                        want.data()[i], actual.data()[i], 1e-5, "side " + side + " value " + i);
            }
        }
    }

    @Test
    void imgSizeResamplesThePositionEmbeddingAndTheModelRuns() {
        CheckpointImporter.Imported imported =
                CheckpointImporter.read(
                        fixture("timm-tiny-f32.safetensors"),
                        new CheckpointImporter.Options(
                                null,
                                3,
                                new float[] {0.5f, 0.5f, 0.5f},
                                new float[] {0.5f, 0.5f, 0.5f},
                                64));
        assertEquals(64, imported.architecture().imgSize());
        assertArrayEquals(
                new long[] {1, 17, 48}, imported.checkpoint().tensor("pos_embed").shape());
        Tensor images = TinyModels.images(imported.architecture(), 1, 3);
        assertEquals(5, logits(imported.checkpoint(), images).length);
        assertThrows(
                CheckpointException.class,
                () ->
                        CheckpointImporter.read(
                                fixture("timm-tiny-f32.safetensors"),
                                new CheckpointImporter.Options(
                                        null,
                                        3,
                                        new float[] {0, 0, 0},
                                        new float[] {1, 1, 1},
                                        40)));
    }

    @Test
    void unsupportedVariantsAreRefusedByName() {
        Map<String, String> named =
                Map.of(
                        "layerscale",
                        "LayerScale",
                        "registers",
                        "register tokens",
                        "avgpool",
                        "fc_norm",
                        "noclass",
                        "class token");
        named.forEach(
                (variant, words) -> {
                    CheckpointException e =
                            assertThrows(
                                    CheckpointException.class,
                                    () ->
                                            CheckpointImporter.read(
                                                    fixture("variant-" + variant + ".safetensors"),
                                                    heads(3, 0.5f)));
                    assertTrue(e.getMessage().contains(words), variant + ": " + e.getMessage());
                    assertTrue(
                            e.getMessage().contains("variant-" + variant),
                            "names the file: " + e.getMessage());
                });
    }

    @Test
    void aNamedArchitectureThatTheShapesContradictIsRefusedNamingTensorAndShapes() {
        CheckpointException e =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                CheckpointImporter.read(
                                        fixture("timm-tiny-f32.safetensors"),
                                        new CheckpointImporter.Options(
                                                "vit_tiny_patch16_224", null, null, null, null)));
        assertTrue(
                e.getMessage()
                        .contains(
                                "tensor cls_token has shape [1, 1, 48], but"
                                        + " vit_tiny_patch16_224.augreg_in21k_ft_in1k has [1, 1, 192]"),
                e.getMessage());
        CheckpointException unknown =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                CheckpointImporter.read(
                                        fixture("timm-tiny-f32.safetensors"),
                                        new CheckpointImporter.Options(
                                                "vit_huge", null, null, null, null)));
        assertTrue(
                unknown.getMessage().startsWith("unknown architecture \"vit_huge\""),
                unknown.getMessage());
    }

    @Test
    void missingHeadsOrNormalisationIsAskedFor() {
        CheckpointException heads =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                CheckpointImporter.read(
                                        fixture("timm-tiny-f32.safetensors"),
                                        CheckpointImporter.Options.none()));
        assertTrue(heads.getMessage().contains("--num-heads"), heads.getMessage());
        CheckpointException norm =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                CheckpointImporter.read(
                                        fixture("timm-tiny-f32.safetensors"),
                                        new CheckpointImporter.Options(null, 3, null, null, null)));
        assertTrue(norm.getMessage().contains("--mean and --std"), norm.getMessage());
    }

    @Test
    void truncatedFilesNameTheFileAndWhatIsWrong() throws IOException {
        for (String name : new String[] {"timm-tiny-f32.safetensors", "google-tiny.npz"}) {
            byte[] bytes = Files.readAllBytes(fixture(name));
            Path cut = temp.resolve("cut-" + name);
            Files.write(cut, Arrays.copyOf(bytes, bytes.length - 1000));
            CheckpointException e =
                    assertThrows(
                            CheckpointException.class,
                            () -> CheckpointImporter.read(cut, heads(3, 0.5f)));
            assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
        }
    }

    /**
     * @return an {@code .npz} (deflated) of one float32 array {@code x} of the given shape, whose
     *     data is {@code chunks} runs of {@code chunk} zero bytes, whatever the shape says
     */
    private Path oneArrayNpz(String name, String shape, int chunk, int chunks) throws IOException {
        Path npz = temp.resolve(name);
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        try (OutputStream file = Files.newOutputStream(npz);
                ZipOutputStream zip = new ZipOutputStream(file)) {
            zip.putNextEntry(new ZipEntry("x.npy"));
            zip.write(
                    new byte[] {
                        (byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0
                    });
            zip.write(header.getBytes(StandardCharsets.US_ASCII));
            byte[] zeros = new byte[chunk];
            for (int i = 0; i < chunks; i++) {
                zip.write(zeros);
            }
            zip.closeEntry();
        }
        return npz;
    }

    @Test
    void npzShapesAreCheckedAgainstTheEntryBeforeAllocating() throws IOException {
        Path npz = oneArrayNpz("huge.npz", "(1000, 1000)", 16, 1);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Npz.read(npz));
        assertTrue(e.getMessage().contains("array x: shape [1000, 1000]"), e.getMessage());
    }

    /**
     * Issue 31: an entry that deflates 64 MiB of zeros into a few hundred kilobytes, its declared
     * size consistent with its shape, is refused from the headers against the import's memory
     * budget, before any array is allocated; so is a shape whose size overflows.
     */
    @Test
    void anNpzThatInflatesBeyondTheBudgetIsRefusedBeforeAllocating() throws IOException {
        Path npz = oneArrayNpz("bomb.npz", "(16, 1024, 1024)", 1 << 20, 64);
        assertTrue(Files.size(npz) < 1 << 20, "the file is small: " + Files.size(npz));
        CheckpointException e =
                assertThrows(CheckpointException.class, () -> Npz.read(npz, 16L << 20));
        assertTrue(
                e.getMessage().contains("need at least " + (64L << 20) + " bytes"), e.getMessage());
        assertTrue(e.getMessage().startsWith(npz.toString()), "names the file: " + e.getMessage());
        assertEquals(
                64L << 20,
                Npz.read(npz, 64L << 20).get("x").data().length * 4L,
                "within the budget it reads");
        assertThrows(CheckpointException.class, () -> Npz.read(fixture("google-tiny.npz"), 1));

        Path overflow = oneArrayNpz("overflow.npz", "(4611686018427387904, 4)", 0, 0);
        CheckpointException o = assertThrows(CheckpointException.class, () -> Npz.read(overflow));
        assertTrue(o.getMessage().contains("overflow"), o.getMessage());
    }

    @Test
    void anImgSizeBeyondTheCapIsRefusedBeforeResampling() {
        CheckpointException e =
                assertThrows(
                        CheckpointException.class,
                        () ->
                                CheckpointImporter.read(
                                        fixture("timm-tiny-f32.safetensors"),
                                        new CheckpointImporter.Options(
                                                null,
                                                3,
                                                new float[] {0.5f, 0.5f, 0.5f},
                                                new float[] {0.5f, 0.5f, 0.5f},
                                                1 << 20)));
        assertTrue(
                e.getMessage().contains("larger than " + CheckpointImporter.MAX_IMG_SIZE),
                e.getMessage());
    }

    @Test
    void permuteMatchesNumpyTranspose() {
        Tensor t = new Tensor(new long[] {2, 3, 4}, new float[24]);
        for (int i = 0; i < 24; i++) {
            t.data()[i] = i;
        }
        Tensor p = TensorLayout.permute(t, 2, 0, 1);
        assertArrayEquals(new long[] {4, 2, 3}, p.shape());
        // numpy: np.arange(24).reshape(2,3,4).transpose(2,0,1)[1,1,2] == 21
        assertEquals(21f, p.data()[(1 * 2 + 1) * 3 + 2]);
    }
}
