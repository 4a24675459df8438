package dev.glora.supernet.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The IDX files of MNIST and Fashion-MNIST: big-endian magic {@code 0x00000803} (images: count,
 * rows, columns, then unsigned bytes) and {@code 0x00000801} (labels: count, then one byte each),
 * gzipped or not (told apart by the gzip magic, not the name).
 */
public final class Idx {

    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private Idx() {}

    /**
     * Reads one split from a folder holding the usual file names, {@code <split>-images-idx3-ubyte}
     * and {@code <split>-labels-idx1-ubyte}, each with or without {@code .gz}.
     *
     * @param dir the folder
     * @param split {@code train} or {@code t10k}
     * @return the split
     * @throws DataException if the files are missing or malformed
     */
    public static ImageDataset readSplit(Path dir, String split) {
        return read(
                find(dir, split + "-images-idx3-ubyte"), find(dir, split + "-labels-idx1-ubyte"));
    }

    private static Path find(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base}) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name);
            }
        }
        throw new DataException(
                dir + ": no " + base + "[.gz] (expected the IDX files of MNIST or Fashion-MNIST)");
    }

    /**
     * @param imagesFile an images file
     * @param labelsFile its labels file
     * @return the labelled images, origins {@code <imagesFile>#<index>}
     * @throws DataException if either is missing or malformed, or their counts differ
     */
    public static ImageDataset read(Path imagesFile, Path labelsFile) {
        List<Image> images = readImages(imagesFile);
        int[] labels = readLabels(labelsFile);
        if (labels.length != images.size()) {
            throw new DataException(
                    labelsFile
                            + ": "
                            + labels.length
                            + " labels for the "
                            + images.size()
                            + " images of "
                            + imagesFile);
        }
        List<String> origins = new ArrayList<>(labels.length);
        for (int i = 0; i < labels.length; i++) {
            origins.add(imagesFile + "#" + i);
        }
        return new ImageDataset(imagesFile.toString(), images, labels, origins);
    }

    /**
     * @param file an IDX images file
     * @return its images, one channel each
     */
    public static List<Image> readImages(Path file) {
        try (DataInputStream in = open(file)) {
            magic(in, file, IMAGES_MAGIC);
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (count < 0 || rows < 1 || cols < 1 || (long) rows * cols > Image.MAX_PIXELS) {
                throw new DataException(
                        file + ": bad header: " + count + " images of " + rows + "x" + cols);
            }
            // The declared count is not trusted: the list grows with the images actually read.
            List<Image> images = new ArrayList<>(Math.min(count, 1 << 16));
            for (int i = 0; i < count; i++) {
                byte[] pixels = new byte[rows * cols];
                readFully(in, pixels, file, "image " + i + " of " + count);
                images.add(new Image(1, rows, cols, pixels));
            }
            return images;
        } catch (IOException e) {
            throw new DataException(file + ": unreadable: " + e.getMessage(), e);
        }
    }

    /**
     * @param file an IDX labels file
     * @return its labels
     */
    public static int[] readLabels(Path file) {
        try (DataInputStream in = open(file)) {
            magic(in, file, LABELS_MAGIC);
            int count = in.readInt();
            if (count < 0) {
                throw new DataException(file + ": bad header: " + count + " labels");
            }
            // readNBytes grows its buffer as bytes arrive, so a false count allocates nothing
            byte[] raw = in.readNBytes(count);
            if (raw.length < count) {
                throw new DataException(
                        file
                                + ": truncated in the labels: the header declares "
                                + count
                                + ", the file holds "
                                + raw.length);
            }
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = raw[i] & 0xff;
            }
            return labels;
        } catch (IOException e) {
            throw new DataException(file + ": unreadable: " + e.getMessage(), e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw;
        try {
            raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        }
        raw.mark(2);
        boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
        raw.reset();
        return new DataInputStream(
                gzip ? new BufferedInputStream(new GZIPInputStream(raw), 1 << 16) : raw);
    }

    private static void magic(DataInputStream in, Path file, int expected) throws IOException {
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw new DataException(file + ": empty or truncated header");
        }
        if (magic != expected) {
            throw new DataException(
                    String.format(
                            "%s: magic number 0x%08x, expected 0x%08x (%s)",
                            file,
                            magic,
                            expected,
                            expected == IMAGES_MAGIC
                                    ? "an IDX3 images file"
                                    : "an IDX1 labels file"));
        }
    }

    private static void readFully(DataInputStream in, byte[] into, Path file, String what)
            throws IOException {
        try {
            in.readFully(into);
        } catch (EOFException e) {
            throw new DataException(file + ": truncated in " + what);
        }
    }
}
