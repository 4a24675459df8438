package dev.glora.supernet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.ConfinedFiles;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.vit.VitInit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files inside a root are opened so that nothing swapped in after a check leads outside it: a
 * folder of a task replaced by a symbolic link to another folder between the check of the list and
 * the reading of the images is refused, not followed.
 */
class ConfinedReadTest {

    @TempDir Path dir;

    private static byte[] read(Path root, Path file) throws IOException {
        try (SeekableByteChannel channel = ConfinedFiles.open(root, file)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) channel.size());
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read on
            }
            return buffer.array();
        }
    }

    @Test
    void linksAreFollowedOnlyWhileTheyStayInsideTheRoot() throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.write(
                Files.createDirectories(root.resolve("a/b")).resolve("f.txt"),
                new byte[] {1, 2, 3});
        Files.write(outside.resolve("secret.txt"), new byte[] {9});
        assertArrayEquals(new byte[] {1, 2, 3}, read(root, root.resolve("a/b/f.txt")));

        Files.createSymbolicLink(root.resolve("inside-link"), root.resolve("a"));
        assertArrayEquals(
                new byte[] {1, 2, 3},
                read(root, root.resolve("inside-link/b/f.txt")),
                "a link that stays in");
        Files.createSymbolicLink(root.resolve("file-link"), root.resolve("a/b/f.txt"));
        assertArrayEquals(new byte[] {1, 2, 3}, read(root, root.resolve("file-link")));

        Files.createSymbolicLink(root.resolve("out"), outside);
        ConfinedFiles.OutsideRoot folder =
                assertThrows(
                        ConfinedFiles.OutsideRoot.class,
                        () -> read(root, root.resolve("out/secret.txt")));
        assertTrue(folder.getMessage().contains("through a symbolic link"), folder.getMessage());
        Files.createSymbolicLink(root.resolve("secret-link"), outside.resolve("secret.txt"));
        assertThrows(
                ConfinedFiles.OutsideRoot.class, () -> read(root, root.resolve("secret-link")));
        assertThrows(
                ConfinedFiles.OutsideRoot.class,
                () -> read(root, root.resolve("a/../../outside/secret.txt")));
        assertThrows(
                ConfinedFiles.OutsideRoot.class, () -> read(root, outside.resolve("secret.txt")));
        assertThrows(NoSuchFileException.class, () -> read(root, root.resolve("a/missing.txt")));
    }

    @Test
    void theServiceReadsTaskFoldersAndBackbonesOnlyInsideItsRoots() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path outside = Files.createDirectories(dir.resolve("outside/task/images"));
        ImageCodec.writePng(Image.blankGrey(4, 4), outside.resolve("0.png"));
        Files.write(outside.resolveSibling("train800.txt"), List.of("images/0.png 0"));
        // a task folder that is (or became, after the job's check) a link out of the data root
        Files.createSymbolicLink(data.resolve("task"), outside.getParent());
        assertEquals(
                1,
                Vtab1k.read(data.resolve("task"), "train800").size(),
                "the command line reads it");
        DataException refused =
                assertThrows(
                        DataException.class,
                        () -> Vtab1k.read(data, data.resolve("task"), "train800"));
        assertTrue(refused.getMessage().contains("leads out of " + data), refused.getMessage());

        Path models = Files.createDirectories(dir.resolve("models"));
        Path backbone = dir.resolve("outside/backbone.safetensors");
        Safetensors.write(VitInit.random(TinyModels.tinyArch(), 0), backbone);
        Files.createSymbolicLink(models.resolve("vit.safetensors"), backbone);
        CheckpointException escaped =
                assertThrows(
                        CheckpointException.class,
                        () -> Safetensors.read(models, models.resolve("vit.safetensors")));
        assertTrue(escaped.getMessage().contains("leads out of " + models), escaped.getMessage());
        assertThrows(
                CheckpointException.class,
                () -> Provenance.sha256(models, models.resolve("vit.safetensors")));
        Files.copy(backbone, models.resolve("inside.safetensors"));
        assertEquals(
                Safetensors.read(backbone).tensors().keySet(),
                Safetensors.read(models, models.resolve("inside.safetensors")).tensors().keySet());
    }

    @Test
    void aTaskFolderSwappedForALinkAfterItsListWasCheckedIsNotFollowed() throws IOException {
        Path task = dir.resolve("task");
        Image grey = Image.blankGrey(4, 4);
        Files.createDirectories(task.resolve("images/train"));
        ImageCodec.writePng(grey, task.resolve("images/train/0.png"));
        Files.write(task.resolve("train800.txt"), List.of("images/train/0.png 0"));
        List<Vtab1k.Entry> entries = Vtab1k.entries(task, "train800");
        assertEquals(1, entries.size());

        // after the check: the images folder becomes a link to a look-alike outside the task
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere/images/train"));
        ImageCodec.writePng(Image.blankGrey(4, 4), elsewhere.resolve("0.png"));
        Files.move(task.resolve("images"), dir.resolve("moved-images"));
        Files.createSymbolicLink(task.resolve("images"), dir.resolve("elsewhere/images"));

        Path root = task.toRealPath();
        DataException refused =
                assertThrows(
                        DataException.class, () -> ImageCodec.read(root, entries.get(0).image()));
        assertTrue(refused.getMessage().contains("leads out of"), refused.getMessage());
        DataException whole =
                assertThrows(DataException.class, () -> Vtab1k.read(task, "train800"));
        assertTrue(whole.getMessage().contains("leads out of"), whole.getMessage());
    }
}
