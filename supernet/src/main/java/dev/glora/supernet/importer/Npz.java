package dev.glora.supernet.importer;

import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Float16;
import dev.glora.supernet.checkpoint.Tensor;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy {@code .npz} archives (a zip of {@code .npy} arrays, stored or deflated) as float32
 * tensors, one entry at a time. Accepts little- and big-endian {@code f2}, {@code f4} and {@code
 * f8}, C order only. Never unpickles: object arrays are refused.
 *
 * <p>Every declared shape is checked against the entry's size before anything is allocated, so a
 * corrupt or hostile header cannot demand memory the file does not back.
 */
public final class Npz {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER = 1 << 16;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npz() {}

    /**
     * @param file a file
     * @return whether it starts like a zip archive (an {@code .npz})
     */
    public static boolean looksLikeNpz(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4
                    && head[0] == 'P'
                    && head[1] == 'K'
                    && head[2] == 3
                    && head[3] == 4;
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e, e);
        }
    }

    /**
     * Reads every array of an archive.
     *
     * @param file the {@code .npz}
     * @return the arrays as float32 tensors, by name without the {@code .npy} suffix, in archive
     *     order
     * @throws CheckpointException naming the file and the entry when anything is not valid
     */
    public static Map<String, Tensor> read(Path file) {
        return read(file, defaultBudget());
    }

    /**
     * The memory an import may take as float32 arrays when none is given: half of what this JVM's
     * heap has left, so that an import never runs the process (and the workers sharing it) out of
     * memory.
     *
     * @return the budget in bytes
     */
    public static long defaultBudget() {
        Runtime runtime = Runtime.getRuntime();
        return (runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory())) / 2;
    }

    /**
     * Reads every array of an archive, after checking from the arrays' own headers, before anything
     * is allocated, that they fit {@code budget} as float32: an entry's declared size is the
     * archive's word, and a deflated entry of gigabytes of zeros takes a few megabytes of file.
     *
     * @param file the {@code .npz}
     * @param budget the most bytes the float32 arrays may take together
     * @return the arrays as float32 tensors, by name without the {@code .npy} suffix, in archive
     *     order
     * @throws CheckpointException naming the file and the entry when anything is not valid, or the
     *     total and the budget when the arrays would not fit
     */
    public static Map<String, Tensor> read(Path file, long budget) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            List<? extends ZipEntry> entries = Collections.list(zip.entries());
            long total = 0;
            for (ZipEntry entry : entries) {
                if (entry.isDirectory()) {
                    continue;
                }
                try (InputStream in = new BufferedInputStream(zip.getInputStream(entry), 1 << 12)) {
                    total =
                            Math.addExact(
                                    total,
                                    Math.multiplyExact(
                                            header(file, arrayName(entry), in).count(), 4L));
                }
                if (total > budget) {
                    throw new CheckpointException(
                            file
                                    + ": its arrays need at least "
                                    + total
                                    + " bytes of memory as"
                                    + " float32, more than the "
                                    + budget
                                    + " this import may take (half of the heap left;"
                                    + " give the JVM more with -Xmx, or import it on a larger machine)");
                }
            }
            for (ZipEntry entry : entries) {
                if (entry.isDirectory()) {
                    continue;
                }
                String name = arrayName(entry);
                try (InputStream in = new BufferedInputStream(zip.getInputStream(entry), 1 << 16)) {
                    tensors.put(name, readArray(file, name, in, entry.getSize()));
                }
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(file + ": the arrays' shapes overflow a 64-bit size", e);
        } catch (ZipException e) {
            throw new CheckpointException(
                    file + ": not a valid .npz (zip) archive: " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new CheckpointException(
                    file + ": truncated: an array ends early (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e, e);
        }
        if (tensors.isEmpty()) {
            throw new CheckpointException(file + ": the archive holds no arrays");
        }
        return tensors;
    }

    private static String arrayName(ZipEntry entry) {
        return entry.getName().endsWith(".npy")
                ? entry.getName().substring(0, entry.getName().length() - 4)
                : entry.getName();
    }

    /** An array's header: its shape, element type and where its data starts. */
    private record Header(long[] shape, DType type, String descr, long prefix) {

        long count() {
            long count = 1;
            for (long extent : shape) {
                count = Math.multiplyExact(count, extent);
            }
            return count;
        }
    }

    private static Header header(Path file, String name, InputStream raw) throws IOException {
        String where = file + ": array " + name;
        DataInputStream in = new DataInputStream(raw);
        byte[] magic = in.readNBytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CheckpointException(where + ": not a .npy array (bad magic)");
        }
        int major = in.readUnsignedByte();
        in.readUnsignedByte();
        long headerLength;
        int prefix;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
            prefix = 10;
        } else if (major == 2 || major == 3) {
            headerLength = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
            prefix = 12;
        } else {
            throw new CheckpointException(
                    where + ": .npy format version " + major + " is not supported");
        }
        if (headerLength > MAX_HEADER) {
            throw new CheckpointException(
                    where + ": header of " + headerLength + " bytes is not plausible");
        }
        String header = new String(in.readNBytes((int) headerLength), StandardCharsets.ISO_8859_1);
        String descr = field(DESCR, header, where, "descr");
        if (field(FORTRAN, header, where, "fortran_order").equals("True")) {
            throw new CheckpointException(where + ": Fortran-ordered arrays are not supported");
        }
        long[] shape = shape(field(SHAPE, header, where, "shape"), where);
        return new Header(shape, DType.of(descr, where), descr, prefix + headerLength);
    }

    private static Tensor readArray(Path file, String name, InputStream raw, long entrySize)
            throws IOException {
        String where = file + ": array " + name;
        DataInputStream in = new DataInputStream(raw);
        Header h = header(file, name, in);
        long[] shape = h.shape();
        DType type = h.type();
        String descr = h.descr();
        long count = h.count();
        long bytes = Math.multiplyExact(count, type.bytes());
        if (entrySize >= 0 && entrySize != h.prefix() + bytes) {
            throw new CheckpointException(
                    where
                            + ": shape "
                            + Arrays.toString(shape)
                            + " of "
                            + descr
                            + " needs "
                            + bytes
                            + " bytes of data, the entry holds "
                            + (entrySize - h.prefix())
                            + " (truncated or corrupt)");
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(
                    where + ": " + count + " elements is more than one tensor can hold here");
        }
        float[] values = new float[(int) count];
        byte[] chunk = new byte[type.bytes() * 8192];
        ByteBuffer buffer = ByteBuffer.wrap(chunk).order(type.order());
        int done = 0;
        while (done < count) {
            int n = (int) Math.min(8192, count - done);
            in.readFully(chunk, 0, n * type.bytes());
            buffer.clear();
            type.decode(buffer, values, done, n);
            done += n;
        }
        return new Tensor(shape, values);
    }

    private static String field(Pattern pattern, String header, String where, String key) {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw new CheckpointException(
                    where + ": .npy header has no '" + key + "': " + header.trim());
        }
        return m.group(1);
    }

    private static long[] shape(String text, String where) {
        List<Long> extents = new ArrayList<>();
        for (String part : text.split(",")) {
            String t = part.trim();
            if (t.isEmpty()) {
                continue;
            }
            try {
                long extent = Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
                if (extent < 0) {
                    throw new NumberFormatException();
                }
                extents.add(extent);
            } catch (NumberFormatException e) {
                throw new CheckpointException(
                        where + ": .npy shape (" + text + ") is not a tuple of sizes");
            }
        }
        return extents.stream().mapToLong(Long::longValue).toArray();
    }

    /** An element type converted to float32, with its byte order. */
    private record DType(int bytes, ByteOrder order) {

        static DType of(String descr, String where) {
            if (descr.length() == 3
                    && "<>=|".indexOf(descr.charAt(0)) >= 0
                    && descr.charAt(1) == 'f'
                    && "248".indexOf(descr.charAt(2)) >= 0) {
                return new DType(
                        descr.charAt(2) - '0',
                        descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            }
            throw new CheckpointException(
                    where
                            + ": dtype "
                            + descr
                            + " is not supported (float16, float32 and"
                            + " float64 are; convert a bfloat16 or integer array to float32 first)");
        }

        void decode(ByteBuffer in, float[] out, int offset, int n) {
            for (int i = 0; i < n; i++) {
                out[offset + i] =
                        switch (bytes) {
                            case 2 -> Float16.toFloat(in.getShort());
                            case 4 -> in.getFloat();
                            default -> (float) in.getDouble();
                        };
            }
        }
    }
}
