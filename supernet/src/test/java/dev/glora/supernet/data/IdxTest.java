package dev.glora.supernet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {

    @TempDir Path dir;

    private final List<Image> images =
            List.of(IdxFiles.pattern(1, 5), IdxFiles.pattern(2, 5), IdxFiles.pattern(3, 5));
    private final int[] labels = {4, 0, 9};

    @Test
    void aHeaderDeclaringBillionsAllocatesNothingAndSaysTheFileIsTruncated() throws IOException {
        Path labelsFile = dir.resolve("huge-labels-idx1-ubyte");
        ByteBuffer header =
                ByteBuffer.allocate(11)
                        .putInt(0x00000801)
                        .putInt(Integer.MAX_VALUE)
                        .put(new byte[] {1, 2, 3});
        Files.write(labelsFile, header.array());
        DataException labels = assertThrows(DataException.class, () -> Idx.readLabels(labelsFile));
        assertTrue(
                labels.getMessage()
                        .contains("declares " + Integer.MAX_VALUE + ", the file holds 3"),
                labels.getMessage());
        Path imagesFile = dir.resolve("huge-images-idx3-ubyte");
        Files.write(
                imagesFile,
                ByteBuffer.allocate(20)
                        .putInt(0x00000803)
                        .putInt(Integer.MAX_VALUE)
                        .putInt(2)
                        .putInt(2)
                        .put(new byte[4])
                        .array());
        DataException images = assertThrows(DataException.class, () -> Idx.readImages(imagesFile));
        assertTrue(images.getMessage().contains("truncated in image 1"), images.getMessage());
        Files.write(
                imagesFile,
                ByteBuffer.allocate(16)
                        .putInt(0x00000803)
                        .putInt(1)
                        .putInt(1 << 16)
                        .putInt(1 << 16)
                        .array());
        assertTrue(
                assertThrows(DataException.class, () -> Idx.readImages(imagesFile))
                        .getMessage()
                        .contains("bad header"));
    }

    @Test
    void readsGzippedAndPlainFilesAlike() throws IOException {
        IdxFiles.write(dir.resolve("gz"), "train", images, labels, true);
        IdxFiles.write(dir.resolve("plain"), "t10k", images, labels, false);
        for (ImageDataset set :
                List.of(
                        Idx.readSplit(dir.resolve("gz"), "train"),
                        Idx.readSplit(dir.resolve("plain"), "t10k"))) {
            assertEquals(3, set.size());
            assertArrayEquals(labels, set.labels());
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(images.get(i).pixels(), set.images().get(i).pixels());
                assertEquals(5, set.images().get(i).height());
            }
            assertTrue(set.origins().get(2).endsWith("#2"));
        }
    }

    @Test
    void aWrongMagicNumberIsNamed() throws IOException {
        IdxFiles.write(dir, "train", images, labels, false);
        Path imagesFile = dir.resolve("train-images-idx3-ubyte");
        Path labelsFile = dir.resolve("train-labels-idx1-ubyte");
        DataException e = assertThrows(DataException.class, () -> Idx.read(labelsFile, imagesFile));
        assertTrue(
                e.getMessage().contains("magic number 0x00000801, expected 0x00000803"),
                e.getMessage());
        assertTrue(e.getMessage().startsWith(labelsFile.toString()), e.getMessage());
    }

    @Test
    void truncatedFilesAndCountMismatchesAreErrors() throws IOException {
        IdxFiles.write(dir, "train", images, labels, false);
        Path imagesFile = dir.resolve("train-images-idx3-ubyte");
        byte[] bytes = Files.readAllBytes(imagesFile);
        Files.write(imagesFile, Arrays.copyOf(bytes, bytes.length - 4));
        DataException truncated =
                assertThrows(DataException.class, () -> Idx.readSplit(dir, "train"));
        assertTrue(
                truncated.getMessage().contains("truncated in image 2 of 3"),
                truncated.getMessage());

        IdxFiles.write(dir, "train", images, new int[] {1, 2}, false);
        DataException mismatch =
                assertThrows(DataException.class, () -> Idx.readSplit(dir, "train"));
        assertTrue(
                mismatch.getMessage().contains("2 labels for the 3 images"), mismatch.getMessage());

        DataException missing = assertThrows(DataException.class, () -> Idx.readSplit(dir, "t10k"));
        assertTrue(
                missing.getMessage().contains("no t10k-images-idx3-ubyte[.gz]"),
                missing.getMessage());
    }
}
