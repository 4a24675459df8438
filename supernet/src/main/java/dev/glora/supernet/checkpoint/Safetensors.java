package dev.glora.supernet.checkpoint;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.glora.supernet.ConfinedFiles;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * ({@code {"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}}), then the raw
 * little-endian tensor data.
 *
 * <p>Files are written as float32. Reading accepts F32, F64, F16 and BF16 and converts to float32.
 * Every offset is checked against the file, so a truncated or corrupt file is an error that says
 * what is wrong, never a crash or a silently wrong tensor.
 */
public final class Safetensors {

    private static final String METADATA = "__metadata__";

    /**
     * The largest JSON header read: 4 MiB. A ViT-g's header, over a thousand tensors, is about 100
     * KiB; the format's own reader allows 100 MB, which no vision transformer needs and which a
     * listing or an upload would otherwise parse on a crafted file's word.
     */
    public static final long MAX_HEADER = 4L << 20;

    private static final Gson GSON = new Gson();

    private Safetensors() {}

    /**
     * Reads a safetensors file.
     *
     * @param file the file
     * @return its tensors (as float32) and metadata
     * @throws CheckpointException naming the file and the tensor when the file is not valid
     */
    public static Checkpoint read(Path file) {
        return read(null, file);
    }

    /**
     * Reads a safetensors file that must lie inside {@code root}, opened so that no path swapped
     * after a check can lead outside it ({@link ConfinedFiles}).
     *
     * @param root the folder the file must lie in; null: any file
     * @param file the file
     * @return its tensors (as float32) and metadata
     * @throws CheckpointException naming the file when it is outside the root or not valid
     */
    public static Checkpoint read(Path root, Path file) {
        try (FileChannel channel = open(root, file)) {
            byte[] header = headerBytes(file, channel);
            return parse(
                    file, new String(header, StandardCharsets.UTF_8), channel, 8L + header.length);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e, e);
        }
    }

    private static FileChannel open(Path root, Path file) throws IOException {
        if (root == null) {
            return FileChannel.open(file, StandardOpenOption.READ);
        }
        SeekableByteChannel channel = ConfinedFiles.open(root, file);
        if (channel instanceof FileChannel fileChannel) {
            return fileChannel;
        }
        channel.close();
        throw new IOException("this platform opens no confined file channels");
    }

    /** Reads the 8-byte length and the JSON header it announces, checking both against the file. */
    private static byte[] headerBytes(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw bad(
                    file,
                    "truncated: "
                            + size
                            + " bytes, but a safetensors file starts with an 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength > MAX_HEADER && headerLength <= size - 8) {
            throw bad(
                    file,
                    "header of "
                            + headerLength
                            + " bytes is larger than the "
                            + MAX_HEADER
                            + " bytes read here (a vision transformer's is well under 1 MiB)");
        }
        if (headerLength < 2 || headerLength > size - 8) {
            throw bad(
                    file,
                    "header length "
                            + headerLength
                            + " does not fit a file of "
                            + size
                            + " bytes (not a safetensors file, or truncated)");
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        readFully(channel, header, 8);
        return header.array();
    }

    private static JsonObject headerJson(Path file, String text) {
        try {
            JsonElement element = JsonParser.parseString(text);
            if (!element.isJsonObject()) {
                throw bad(file, "header is not a JSON object");
            }
            return element.getAsJsonObject();
        } catch (JsonParseException e) {
            throw bad(file, "header is not valid JSON: " + e.getMessage());
        }
    }

    /**
     * What a safetensors file's header says, without reading the tensor data.
     *
     * @param shapes every tensor's shape, in file order
     * @param metadata the {@code __metadata__} entries
     */
    public record Header(Map<String, long[]> shapes, Map<String, String> metadata) {

        /**
         * @return the number of values in all tensors, {@link Long#MAX_VALUE} when a header's
         *     shapes claim more than a long counts (the header alone is not checked against the
         *     data)
         */
        public long parameters() {
            long total = 0;
            for (long[] shape : shapes.values()) {
                long count = values(shape);
                if (count == Long.MAX_VALUE || total > Long.MAX_VALUE - count) {
                    return Long.MAX_VALUE;
                }
                total += count;
            }
            return total;
        }

        /**
         * @return the values of the largest tensor, {@link Long#MAX_VALUE} on overflow
         */
        public long largest() {
            return shapes.values().stream().mapToLong(Safetensors::values).max().orElse(0);
        }
    }

    /**
     * @param shape a tensor's shape (negative extents count as 0)
     * @return how many values it holds, {@link Long#MAX_VALUE} when more than a long counts
     */
    public static long values(long[] shape) {
        long count = 1;
        try {
            for (long extent : shape) {
                count = Math.multiplyExact(count, Math.max(0, extent));
            }
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
        return count;
    }

    /**
     * Reads only the header of a safetensors file: cheap for a checkpoint of any size.
     *
     * @param file the file
     * @return its tensor shapes and metadata
     * @throws CheckpointException naming the file when the header is not valid
     */
    public static Header header(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return headerOf(
                    file,
                    headerJson(
                            file, new String(headerBytes(file, channel), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e, e);
        }
    }

    /**
     * An open safetensors file whose tensors are decoded one at a time, on request: what an import
     * streams from, so that it holds one tensor as float32, never the whole file. The layout is
     * checked once, at {@link #open}, as {@link #read} checks it.
     */
    public static final class Reader implements Closeable {
        private final Path file;
        private final FileChannel channel;
        private final JsonObject json;
        private final Data data;
        private final Header header;

        private Reader(Path file, FileChannel channel) throws IOException {
            this.file = file;
            this.channel = channel;
            byte[] bytes = headerBytes(file, channel);
            this.json = headerJson(file, new String(bytes, StandardCharsets.UTF_8));
            long start = 8L + bytes.length;
            this.data = new Data(channel, start, channel.size() - start);
            checkTiling(file, json, data.bytes());
            this.header = headerOf(file, json);
        }

        /**
         * @param file a safetensors file
         * @return it, open, its header read and its layout checked
         * @throws CheckpointException naming the file when it is not valid
         */
        public static Reader open(Path file) {
            FileChannel channel = null;
            try {
                channel = FileChannel.open(file, StandardOpenOption.READ);
                return new Reader(file, channel);
            } catch (IOException e) {
                closeQuietly(channel);
                throw new CheckpointException(file + ": cannot read: " + e, e);
            } catch (RuntimeException e) {
                closeQuietly(channel);
                throw e;
            }
        }

        /**
         * @return the tensors' shapes, in file order, and the metadata
         */
        public Header header() {
            return header;
        }

        /**
         * Decodes one tensor to float32.
         *
         * @param name a tensor the header lists
         * @return its values
         * @throws CheckpointException naming the file and the tensor when it is not there or not
         *     valid
         */
        public Tensor tensor(String name) {
            JsonElement value = json.get(name);
            if (value == null || name.equals(METADATA)) {
                throw bad(file, "no tensor " + name);
            }
            try {
                return readTensor(file, name, value, data);
            } catch (IOException e) {
                throw new CheckpointException(file + ": cannot read tensor " + name + ": " + e, e);
            }
        }

        @Override
        public void close() {
            closeQuietly(channel);
        }

        private static void closeQuietly(FileChannel channel) {
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException ignored) {
                // read-only: nothing is lost
            }
        }
    }

    private static Header headerOf(Path file, JsonObject json) {
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : json.entrySet()) {
            if (entry.getKey().equals(METADATA)) {
                readMetadata(file, entry.getValue(), metadata);
            } else if (entry.getValue().isJsonObject()) {
                shapes.put(
                        entry.getKey(),
                        longs(
                                file,
                                "tensor " + entry.getKey() + ": \"shape\"",
                                entry.getValue().getAsJsonObject().get("shape"),
                                -1));
            } else {
                throw bad(file, "tensor " + entry.getKey() + ": header entry is not an object");
            }
        }
        return new Header(shapes, metadata);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position)
            throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    /**
     * Reads every tensor, each mapped on its own: one mapping holds at most 2 GiB, and a
     * checkpoint's data may hold more (ViT-H and larger in float32).
     */
    private static Checkpoint parse(
            Path file, String headerText, FileChannel channel, long dataStart) throws IOException {
        Data data = new Data(channel, dataStart, channel.size() - dataStart);
        JsonObject header = headerJson(file, headerText);
        Map<String, String> metadata = new LinkedHashMap<>();
        checkTiling(file, header, data.bytes());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : header.entrySet()) {
            if (entry.getKey().equals(METADATA)) {
                readMetadata(file, entry.getValue(), metadata);
            } else {
                tensors.put(
                        entry.getKey(), readTensor(file, entry.getKey(), entry.getValue(), data));
            }
        }
        return new Checkpoint(tensors, metadata);
    }

    /**
     * The format's rule, checked before any tensor is decoded: the data offsets tile the data
     * without gaps or overlaps, so no byte backs two tensors (a file cannot demand more memory than
     * it holds) and nothing hides between them.
     */
    private static void checkTiling(Path file, JsonObject header, long dataBytes) {
        List<long[]> spans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, JsonElement> entry : header.entrySet()) {
            if (!entry.getKey().equals(METADATA) && entry.getValue().isJsonObject()) {
                long[] offsets =
                        longs(
                                file,
                                "tensor " + entry.getKey() + ": \"data_offsets\"",
                                entry.getValue().getAsJsonObject().get("data_offsets"),
                                2);
                spans.add(new long[] {offsets[0], offsets[1], names.size()});
                names.add(entry.getKey());
            }
        }
        spans.sort(
                Comparator.<long[]>comparingLong(span -> span[0])
                        .thenComparingLong(span -> span[1]));
        long end = 0;
        String last = null;
        for (long[] span : spans) {
            if (span[0] != end) {
                throw bad(
                        file,
                        "tensor "
                                + names.get((int) span[2])
                                + ": data_offsets ["
                                + span[0]
                                + ", "
                                + span[1]
                                + "] "
                                + (span[0] < end
                                        ? "overlap another tensor's data"
                                        : "leave a gap before it")
                                + " (the data must be tiled by the tensors)");
            }
            if (span[1] >= end) {
                end = span[1];
                last = names.get((int) span[2]);
            }
        }
        if (end < dataBytes) {
            throw bad(
                    file,
                    "the tensors cover " + end + " of the file's " + dataBytes + " bytes of data");
        }
        if (end > dataBytes) {
            throw bad(
                    file,
                    "tensor "
                            + last
                            + ": data ends at byte "
                            + end
                            + " but the file holds only "
                            + dataBytes
                            + " bytes of tensor data (truncated?)");
        }
    }

    private static void readMetadata(Path file, JsonElement value, Map<String, String> metadata) {
        if (!value.isJsonObject()) {
            throw bad(file, "__metadata__ is not a JSON object");
        }
        for (Map.Entry<String, JsonElement> meta : value.getAsJsonObject().entrySet()) {
            JsonElement v = meta.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw bad(
                        file,
                        "__metadata__ value of \"" + meta.getKey() + "\" is not a string: " + v);
            }
            metadata.put(meta.getKey(), v.getAsString());
        }
    }

    /** The tensor data of an open file: {@code bytes} from {@code start} on. */
    private record Data(FileChannel channel, long start, long bytes) {}

    private static Tensor readTensor(Path file, String name, JsonElement value, Data data)
            throws IOException {
        String where = "tensor " + name;
        if (!value.isJsonObject()) {
            throw bad(file, where + ": header entry is not an object");
        }
        JsonObject info = value.getAsJsonObject();
        DType dtype = DType.parse(file, where, info.get("dtype"));
        long[] shape = longs(file, where + ": \"shape\"", info.get("shape"), -1);
        long[] offsets = longs(file, where + ": \"data_offsets\"", info.get("data_offsets"), 2);
        long count = 1;
        for (long extent : shape) {
            if (extent < 0) {
                throw bad(file, where + ": negative extent in shape");
            }
            try {
                count = Math.multiplyExact(count, extent);
            } catch (ArithmeticException e) {
                throw bad(
                        file,
                        where + ": shape " + Arrays.toString(shape) + " overflows a 64-bit size");
            }
        }
        if (count > Long.MAX_VALUE / dtype.bytes) {
            throw bad(
                    file, where + ": shape " + Arrays.toString(shape) + " overflows a 64-bit size");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw bad(file, where + ": invalid data_offsets [" + begin + ", " + end + "]");
        }
        if (end - begin != count * dtype.bytes) {
            throw bad(
                    file,
                    where
                            + ": shape "
                            + Arrays.toString(shape)
                            + " of "
                            + dtype
                            + " needs "
                            + count * dtype.bytes
                            + " bytes, data_offsets span "
                            + (end - begin));
        }
        if (end > data.bytes()) {
            throw bad(
                    file,
                    where
                            + ": data ends at byte "
                            + end
                            + " but the file holds only "
                            + data.bytes()
                            + " bytes of tensor data (truncated?)");
        }
        if (count > Integer.MAX_VALUE || end - begin > Integer.MAX_VALUE) {
            throw bad(
                    file, where + ": " + count + " elements is more than one tensor can hold here");
        }
        float[] values = new float[(int) count];
        ByteBuffer slice =
                data.channel()
                        .map(FileChannel.MapMode.READ_ONLY, data.start() + begin, end - begin)
                        .order(ByteOrder.LITTLE_ENDIAN);
        dtype.decode(slice, values);
        return new Tensor(shape, values);
    }

    private static long[] longs(Path file, String where, JsonElement value, int expectedLength) {
        if (value == null || !value.isJsonArray()) {
            throw bad(file, where + " must be an array of integers, found " + value);
        }
        JsonArray array = value.getAsJsonArray();
        if (expectedLength >= 0 && array.size() != expectedLength) {
            throw bad(
                    file,
                    where + " must have " + expectedLength + " entries, found " + array.size());
        }
        long[] result = new long[array.size()];
        for (int i = 0; i < result.length; i++) {
            JsonElement item = array.get(i);
            if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isNumber()) {
                throw bad(file, where + " must hold integers, found " + item);
            }
            result[i] = item.getAsLong();
        }
        return result;
    }

    private static CheckpointException bad(Path file, String message) {
        return new CheckpointException(file + ": " + message);
    }

    /**
     * Writes a checkpoint as float32 safetensors. The file appears whole or not at all: it is
     * written beside the target and moved into place.
     *
     * @param checkpoint the tensors and metadata
     * @param file the target file
     */
    public static void write(Checkpoint checkpoint, Path file) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        checkpoint.tensors().forEach((name, tensor) -> shapes.put(name, tensor.shape()));
        write(shapes, checkpoint.metadata(), checkpoint.tensors()::get, file);
    }

    /**
     * Writes tensors as float32 safetensors, asking for each one's values only when its turn comes:
     * a writer that streams from another file holds one tensor at a time. The file appears whole or
     * not at all.
     *
     * @param shapes every tensor's shape, in the order they are written
     * @param metadata the {@code __metadata__} entries
     * @param values each tensor's values by name, called once per tensor, in order
     * @param file the target file
     * @throws CheckpointException when a tensor's values do not have the shape announced
     */
    public static void write(
            Map<String, long[]> shapes,
            Map<String, String> metadata,
            Function<String, Tensor> values,
            Path file) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put(METADATA, metadata);
        }
        long offset = 0;
        for (Map.Entry<String, long[]> entry : shapes.entrySet()) {
            long bytes = 4L * values(entry.getValue());
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", "F32");
            info.put("shape", entry.getValue());
            info.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(entry.getKey(), info);
            offset += bytes;
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        Path absolute = file.toAbsolutePath();
        Path temp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        try {
            if (absolute.getParent() != null) {
                Files.createDirectories(absolute.getParent());
            }
            try (OutputStream out =
                    new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
                ByteBuffer length =
                        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(length.array());
                out.write(json);
                for (int i = json.length; i < padded; i++) {
                    out.write(' ');
                }
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Map.Entry<String, long[]> entry : shapes.entrySet()) {
                    Tensor tensor = values.apply(entry.getKey());
                    if (tensor == null || !Arrays.equals(tensor.shape(), entry.getValue())) {
                        throw new CheckpointException(
                                file
                                        + ": tensor "
                                        + entry.getKey()
                                        + " was announced as "
                                        + Arrays.toString(entry.getValue())
                                        + " but its values are "
                                        + (tensor == null ? "missing" : tensor.shapeString()));
                    }
                    for (float v : tensor.data()) {
                        if (!chunk.hasRemaining()) {
                            out.write(chunk.array(), 0, chunk.position());
                            chunk.clear();
                        }
                        chunk.putFloat(v);
                    }
                }
                out.write(chunk.array(), 0, chunk.position());
            }
            Files.move(
                    temp,
                    absolute,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new CheckpointException(file + ": cannot write: " + e, e);
        } catch (RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // a leftover .tmp beside the target is overwritten by the next write
        }
    }

    /** The element types this reader converts to float32. */
    private enum DType {
        F32(4),
        F64(8),
        F16(2),
        BF16(2);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        static DType parse(Path file, String where, JsonElement value) {
            String name =
                    value != null && value.isJsonPrimitive()
                            ? value.getAsString()
                            : String.valueOf(value);
            for (DType type : values()) {
                if (type.name().equals(name)) {
                    return type;
                }
            }
            throw bad(
                    file,
                    where + ": dtype " + name + " is not supported (F32, F64, F16 and BF16 are)");
        }

        void decode(ByteBuffer in, float[] out) {
            switch (this) {
                case F32 -> in.asFloatBuffer().get(out);
                case F64 -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = (float) in.getDouble();
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = Float.intBitsToFloat((in.getShort() & 0xffff) << 16);
                    }
                }
                case F16 -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = Float16.toFloat(in.getShort());
                    }
                }
                default -> throw new IllegalStateException("no decoder for " + this);
            }
        }
    }
}
