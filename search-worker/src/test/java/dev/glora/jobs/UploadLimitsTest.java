package dev.glora.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.data.FolderTask;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 31: uploads leave the disk its reserve, odd archive names are refused, and leftovers are
 * swept.
 */
class UploadLimitsTest {

    @TempDir Path root;

    @Test
    void anUploadThatWouldFillTheDiskIsRefusedAndKeepsNothing() throws Exception {
        Path file = root.resolve(".upload-x.part");
        ModelLibrary.UploadException e =
                assertThrows(
                        ModelLibrary.UploadException.class,
                        () ->
                                ModelLibrary.copy(
                                        new ByteArrayInputStream(new byte[1024]),
                                        file,
                                        1 << 20,
                                        Long.MAX_VALUE / 2));
        assertEquals(ModelLibrary.Refusal.NO_SPACE, e.refusal());
        assertTrue(e.getMessage().contains("bytes free, less than"), e.getMessage());
        ModelLibrary.copy(new ByteArrayInputStream(new byte[1024]), file, 1 << 20, 0);
        assertEquals(1024, Files.size(file), "with room it is written");
    }

    @Test
    void aNulInAnArchiveEntrysNameIsRefusedAsUnusable() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("train/ant/a\0b.png"));
            zip.write(new byte[] {1, 2, 3});
            zip.closeEntry();
        }
        ModelLibrary.UploadException e =
                assertThrows(
                        ModelLibrary.UploadException.class,
                        () ->
                                DataLibrary.add(
                                        root,
                                        "nul",
                                        new ByteArrayInputStream(bytes.toByteArray()),
                                        1 << 20,
                                        0,
                                        new FolderTask.Sizes(8, 4, 0, 0)));
        assertEquals(ModelLibrary.Refusal.UNUSABLE, e.refusal());
        assertTrue(e.getMessage().contains("is not a file name here"), e.getMessage());
        try (var left = Files.list(root)) {
            assertEquals(0, left.count(), "nothing is left in the root");
        }
    }

    @Test
    void leftoversOfKilledUploadsAreSweptAndNothingElse() throws Exception {
        Path oldPart = Files.writeString(root.resolve(".upload-1.part"), "x");
        Path oldUnpack = Files.createDirectories(root.resolve(".unpack-2").resolve("train"));
        Path young = Files.writeString(root.resolve(".import-3.safetensors"), "x");
        Path model = Files.writeString(root.resolve("model.safetensors"), "x");
        FileTime hoursAgo = FileTime.from(Instant.now().minus(Duration.ofHours(3)));
        Files.setLastModifiedTime(oldPart, hoursAgo);
        Files.setLastModifiedTime(oldUnpack.getParent(), hoursAgo);
        Files.setLastModifiedTime(model, hoursAgo);
        assertEquals(2, ModelLibrary.sweep(root, Duration.ofHours(1)));
        assertFalse(Files.exists(oldPart));
        assertFalse(Files.exists(oldUnpack.getParent()));
        assertTrue(Files.exists(young), "an upload in progress is younger");
        assertTrue(Files.exists(model), "only the uploads' own leftovers");
    }
}
