package dev.glora.supernet.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.supernet.TinyModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir Path dir;

    private static byte[] file(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer =
                ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(json.length).put(json).put(data);
        return buffer.array();
    }

    private String readError(byte[] bytes) throws IOException {
        Path path = dir.resolve("bad.safetensors");
        Files.write(path, bytes);
        return assertThrows(CheckpointException.class, () -> Safetensors.read(path)).getMessage();
    }

    @Test
    void offsetsThatOverlapOrLeaveGapsAreRefusedBeforeAnyTensorIsRead() throws IOException {
        // two tensors of 1M floats backed by the same 4 MB would make the reader allocate twice
        // what the file holds
        String overlap =
                readError(
                        file(
                                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                                new byte[8]));
        assertTrue(overlap.contains("overlap another tensor's data"), overlap);
        String gap =
                readError(
                        file(
                                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                                new byte[8]));
        assertTrue(gap.contains("leave a gap"), gap);
        String trailing =
                readError(
                        file(
                                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                                new byte[12]));
        assertTrue(trailing.contains("cover 4 of the file's 12 bytes"), trailing);
    }

    @Test
    void aHeaderLargerThanTheLimitIsRefusedBeforeItIsRead() throws IOException {
        // a valid header padded past 4 MiB: the limit, not the JSON, refuses it
        int length = (int) Safetensors.MAX_HEADER + 8;
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        String padded = header + " ".repeat(length - header.length());
        String error = readError(file(padded, new byte[4]));
        assertTrue(
                error.contains(
                        "header of "
                                + length
                                + " bytes is larger than the "
                                + Safetensors.MAX_HEADER),
                error);
        Path atLimit = dir.resolve("at-limit.safetensors");
        Files.write(
                atLimit,
                file(
                        header + " ".repeat((int) Safetensors.MAX_HEADER - header.length()),
                        new byte[4]));
        assertEquals(1, Safetensors.read(atLimit).tensors().size());
    }

    @Test
    void aReaderDecodesOneTensorAtATimeAndAStreamedWriteEqualsAWholeOne() throws IOException {
        // F16 values exact in both widths: 0.25 steps
        Path f16 = dir.resolve("f16.safetensors");
        ByteBuffer data = ByteBuffer.allocate(2 * 6).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = {0f, 0.25f, -1.5f, 2f, 1024f, -0.75f};
        for (int bits :
                new int[] {0x0000, 0x3400, 0xBE00, 0x4000, 0x6400, 0xBA00}) { // IEEE half of each
            data.putShort((short) bits);
        }
        Files.write(
                f16,
                file(
                        "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F16\",\"shape\":[2,2],"
                                + "\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}",
                        data.array()));
        Path whole = dir.resolve("whole.safetensors");
        Path streamed = dir.resolve("streamed.safetensors");
        Safetensors.write(Safetensors.read(f16), whole);
        List<String> asked = new ArrayList<>();
        try (Safetensors.Reader reader = Safetensors.Reader.open(f16)) {
            assertEquals(Map.of("k", "v"), reader.header().metadata());
            assertArrayEquals(new float[] {1024f, -0.75f}, reader.tensor("b").data());
            Safetensors.write(
                    reader.header().shapes(),
                    reader.header().metadata(),
                    name -> {
                        asked.add(name);
                        return reader.tensor(name);
                    },
                    streamed);
            String missing =
                    assertThrows(CheckpointException.class, () -> reader.tensor("c")).getMessage();
            assertTrue(missing.contains("no tensor c"), missing);
        }
        assertEquals(List.of("a", "b"), asked);
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(streamed));
        assertArrayEquals(Arrays.copyOf(values, 4), Safetensors.read(streamed).tensor("a").data());
    }

    @Test
    void aStreamedTensorWhoseShapeDiffersFromItsAnnouncementLeavesNoFile() {
        Path out = dir.resolve("out.safetensors");
        String error =
                assertThrows(
                                CheckpointException.class,
                                () ->
                                        Safetensors.write(
                                                Map.of("a", new long[] {3}),
                                                Map.of(),
                                                name -> Tensor.zeros(2),
                                                out))
                        .getMessage();
        assertTrue(error.contains("tensor a was announced as [3] but its values are [2]"), error);
        assertTrue(!Files.exists(out) && !Files.exists(dir.resolve("out.safetensors.tmp")));
    }

    @Test
    void roundTripIsBitExactWithMetadataAndOrder() {
        SplittableRandom random = new SplittableRandom(1);
        Tensor special =
                new Tensor(
                        new long[] {4},
                        new float[] {Float.NaN, -0f, Float.MIN_VALUE, Float.MAX_VALUE});
        Checkpoint original =
                new Checkpoint(
                        Map.of(
                                "z.weight",
                                TinyModels.random(random, 3, 5),
                                "a.bias",
                                special,
                                "scalar",
                                Tensor.zeros()),
                        Map.of("embed_dim", "8", "mean", "0.5"));
        Path path = dir.resolve("x.safetensors");
        Safetensors.write(original, path);
        Checkpoint read = Safetensors.read(path);
        assertEquals(original.metadata(), read.metadata());
        assertEquals(
                original.tensors().keySet().stream().toList(),
                read.tensors().keySet().stream().toList());
        original.tensors()
                .forEach(
                        (name, t) -> {
                            assertArrayEquals(t.shape(), read.tensor(name).shape(), name);
                            for (int i = 0; i < t.data().length; i++) {
                                assertEquals(
                                        Float.floatToRawIntBits(t.data()[i]),
                                        Float.floatToRawIntBits(read.tensor(name).data()[i]));
                            }
                        });
    }

    @Test
    void readsHalfBfloatAndDoubleAsFloat() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(2 * 2 + 2 * 2 + 8).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3c00).putShort((short) 0xc000); // F16 1.0, -2.0
        data.putShort((short) 0x3fc0).putShort((short) 0x4049); // BF16 1.5, 3.140625
        data.putDouble(0.25);
        String header =
                "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                        + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        Path path = dir.resolve("mixed.safetensors");
        Files.write(path, file(header, data.array()));
        Checkpoint read = Safetensors.read(path);
        assertArrayEquals(new float[] {1f, -2f}, read.tensor("h").data());
        assertArrayEquals(new float[] {1.5f, 3.140625f}, read.tensor("b").data());
        assertArrayEquals(new float[] {0.25f}, read.tensor("d").data());
    }

    @Test
    void aCheckpointWithMoreThanTwoGibibytesOfDataIsRead() throws IOException {
        // two 1 GiB tensors of zeros (a sparse file: nothing is written for them), then one past 2
        // GiB
        long gib = 1L << 30;
        String header =
                "{\"pad1\":{\"dtype\":\"F64\",\"shape\":["
                        + gib / 8
                        + "],\"data_offsets\":[0,"
                        + gib
                        + "]},"
                        + "\"pad2\":{\"dtype\":\"F64\",\"shape\":["
                        + gib / 8
                        + "],\"data_offsets\":["
                        + gib
                        + ","
                        + 2 * gib
                        + "]},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":["
                        + 2 * gib
                        + ","
                        + (2 * gib + 8)
                        + "]}}";
        Path path = dir.resolve("large.safetensors");
        Files.write(path, file(header, new byte[0]));
        try (var channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            channel.write(
                    ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putFloat(1.5f)
                            .putFloat(-2f)
                            .flip(),
                    channel.size() + 2 * gib);
        }
        Checkpoint read = Safetensors.read(path);
        assertArrayEquals(new float[] {1.5f, -2f}, read.tensor("w").data());
        assertEquals(gib / 8, read.tensor("pad2").data().length);
    }

    @Test
    void truncatedFileSaysWhereTheDataEnds() throws IOException {
        Path path = dir.resolve("full.safetensors");
        Safetensors.write(new Checkpoint(Map.of("w", Tensor.zeros(10, 10)), Map.of()), path);
        byte[] bytes = Files.readAllBytes(path);
        String message = readError(Arrays.copyOf(bytes, bytes.length - 7));
        assertTrue(
                message.contains(
                        "tensor w: data ends at byte 400 but the file holds only 393 bytes"),
                message);
        assertTrue(readError(Arrays.copyOf(bytes, 5)).contains("truncated: 5 bytes"));
        assertTrue(readError(Arrays.copyOf(bytes, 20)).contains("header length"));
    }

    @Test
    void corruptHeadersAreErrorsThatSayWhat() throws IOException {
        assertTrue(readError(file("{not json", new byte[0])).contains("header is not valid JSON"));
        assertTrue(readError(file("[1,2]", new byte[0])).contains("header is not a JSON object"));
        assertTrue(
                readError(
                                file(
                                        "{\"w\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
                                        new byte[1]))
                        .contains("tensor w: dtype I8 is not supported"));
        assertTrue(
                readError(
                                file(
                                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                                        new byte[8]))
                        .contains(
                                "tensor w: shape [3] of F32 needs 12 bytes, data_offsets span 8"));
        assertTrue(
                readError(
                                file(
                                        "{\"w\":{\"dtype\":\"F32\",\"shape\":\"3\",\"data_offsets\":[0,12]}}",
                                        new byte[12]))
                        .contains("tensor w: \"shape\" must be an array of integers"));
        assertTrue(
                readError(file("{\"__metadata__\":{\"a\":1}}", new byte[0]))
                        .contains("__metadata__ value of \"a\" is not a string"));
        ByteBuffer huge =
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE);
        assertTrue(readError(huge.array()).contains("does not fit a file of 16 bytes"));
    }

    @Test
    void failedWriteLeavesNoHalfFile() throws IOException {
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file, not a directory");
        Path target = blocker.resolve("model.safetensors");
        assertThrows(
                CheckpointException.class,
                () ->
                        Safetensors.write(
                                new Checkpoint(Map.of("w", Tensor.zeros(2)), Map.of()), target));
        assertEquals("a file, not a directory", Files.readString(blocker));
    }
}
