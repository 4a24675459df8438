package dev.glora.supernet.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images are refused by their header's size before a decompression bomb is decoded. */
class ImageCodecTest {

    @TempDir Path dir;

    /** A PNG of a header only: signature, IHDR of the given size, IEND. */
    private static byte[] pngHeader(int width, int height) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(ihdr);
        data.writeInt(width);
        data.writeInt(height);
        data.write(new byte[] {8, 0, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        out.writeInt(data.length);
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        out.write(name);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }

    @Test
    void anImageOverThePixelLimitIsRefusedFromItsHeader() throws IOException {
        Path bomb = dir.resolve("bomb.png");
        Files.write(bomb, pngHeader(100_000, 100_000));
        DataException e = assertThrows(DataException.class, () -> ImageCodec.read(bomb));
        assertTrue(e.getMessage().contains("100000x100000 pixels is more than"), e.getMessage());

        Path fine = dir.resolve("fine.png");
        ImageCodec.writePng(Image.blankGrey(3, 2), fine);
        assertEquals(6, ImageCodec.read(fine).pixels().length);
    }

    /**
     * Issue 31: decoding holds at most {@link ImageCodec#DECODE_BUDGET_PIXELS} pixels in the whole
     * process: a decode waits, before decoding, until its image's pixels (from the header) are
     * free.
     */
    @Test
    void aDecodeWaitsUntilItsPixelsFitTheProcesssBudget() throws Exception {
        Path file = dir.resolve("a.png");
        ImageCodec.writePng(new Image(1, 40, 50, new byte[40 * 50]), file);
        int held =
                ImageCodec.DECODE_BUDGET_PIXELS
                        - 40 * 50
                        + 1; // one pixel short of this image's 2,000
        assertTrue(ImageCodec.DECODING.tryAcquire(held), "the budget was free");
        CompletableFuture<Image> read;
        try {
            read = CompletableFuture.supplyAsync(() -> ImageCodec.read(file));
            // the decode queues on the budget (a signal, not a pause that hopes it got there)
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    !ImageCodec.DECODING.hasQueuedThreads(); ) {
                assertTrue(System.nanoTime() < deadline, "the decode never asked for its pixels");
                Thread.sleep(5);
            }
            assertTrue(!read.isDone(), "the decode waited for its pixels");
        } finally {
            ImageCodec.DECODING.release(held);
        }
        assertEquals(50, read.get(20, TimeUnit.SECONDS).width());
        assertEquals(
                ImageCodec.DECODE_BUDGET_PIXELS,
                ImageCodec.DECODING.availablePermits(),
                "every pixel came back");
    }
}
