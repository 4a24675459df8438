package dev.glora.supernet.data;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Writes IDX files for tests. */
final class IdxFiles {

    private IdxFiles() {}

    static void write(Path dir, String split, List<Image> images, int[] labels, boolean gzip)
            throws IOException {
        Files.createDirectories(dir);
        String suffix = gzip ? ".gz" : "";
        try (DataOutputStream out =
                open(dir.resolve(split + "-images-idx3-ubyte" + suffix), gzip)) {
            out.writeInt(0x00000803);
            out.writeInt(images.size());
            out.writeInt(images.get(0).height());
            out.writeInt(images.get(0).width());
            for (Image image : images) {
                out.write(image.pixels());
            }
        }
        try (DataOutputStream out =
                open(dir.resolve(split + "-labels-idx1-ubyte" + suffix), gzip)) {
            out.writeInt(0x00000801);
            out.writeInt(labels.length);
            for (int label : labels) {
                out.write(label);
            }
        }
    }

    private static DataOutputStream open(Path file, boolean gzip) throws IOException {
        OutputStream raw = Files.newOutputStream(file);
        return new DataOutputStream(gzip ? new GZIPOutputStream(raw) : raw);
    }

    /** An image whose pixel (y, x) is {@code (seed + 7y + 3x) mod 256}. */
    static Image pattern(int seed, int size) {
        Image image = Image.blankGrey(size, size);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                image.set(0, y, x, (seed + 7 * y + 3 * x) & 0xff);
            }
        }
        return image;
    }
}
