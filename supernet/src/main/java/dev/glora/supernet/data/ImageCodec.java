package dev.glora.supernet.data;

import dev.glora.supernet.ConfinedFiles;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads any image format the JDK reads (PNG, JPEG, BMP, GIF, WBMP) and writes PNG.
 *
 * <p>Grey images are read from the raster, not through {@code getRGB}, which would pass grey values
 * through a colour-space conversion and change them; so a grey PNG written here reads back
 * bit-exact.
 */
public final class ImageCodec {

    private ImageCodec() {}

    /**
     * @param file an image file
     * @return its pixels: one channel for grey (with or without alpha), else three (alpha dropped)
     * @throws DataException if the file is missing, unreadable or not an image
     */
    public static Image read(Path file) {
        return decode(
                file,
                () -> checkSize(file.toFile(), file),
                () -> ImageIO.read(file.toFile()),
                e -> {
                    if (!Files.exists(file)) {
                        return new DataException(file + ": no such image file");
                    }
                    return new DataException(file + ": unreadable image: " + e.getMessage(), e);
                },
                () ->
                        new DataException(
                                Files.exists(file)
                                        ? file + ": " + NOT_AN_IMAGE
                                        : file + ": no such image file"));
    }

    private static final String NOT_AN_IMAGE =
            "not an image in a format the JDK reads (PNG, JPEG, BMP, GIF)";

    private interface Io<T> {
        T get() throws IOException;
    }

    /**
     * Reads the header's size, waits for that many pixels of the decoding budget, decodes, and
     * gives them back once the pixels are copied out.
     */
    private static Image decode(
            Path file,
            Io<Long> size,
            Io<BufferedImage> read,
            Function<IOException, DataException> unreadable,
            Supplier<DataException> notAnImage) {
        int permits;
        try {
            permits = permits(size.get());
        } catch (IOException e) {
            throw unreadable.apply(e);
        }
        DECODING.acquireUninterruptibly(permits);
        try {
            BufferedImage decoded = read.get();
            if (decoded == null) {
                throw notAnImage.get();
            }
            return fromBuffered(decoded);
        } catch (IOException e) {
            throw unreadable.apply(e);
        } finally {
            DECODING.release(permits);
        }
    }

    /**
     * The pixels this process decodes at once, over every thread and upload: one image of {@link
     * Image#MAX_PIXELS}, or many smaller ones. A decoded pixel takes about 7 bytes (the JDK's
     * image, then this class's copy), so decoding holds at most about 470 MB.
     */
    public static final int DECODE_BUDGET_PIXELS = (int) Image.MAX_PIXELS;

    /** Permits are pixels: a decode takes its image's count from the header before it starts. */
    static final Semaphore DECODING = new Semaphore(DECODE_BUDGET_PIXELS, true);

    private static int permits(long pixels) {
        return (int) Math.max(1, Math.min(pixels, DECODE_BUDGET_PIXELS));
    }

    /**
     * The largest image file read from inside a root; far above any image of {@link
     * Image#MAX_PIXELS}.
     */
    static final long MAX_FILE_BYTES = 256L << 20;

    /**
     * Decodes an image held in memory (an uploaded file), within the same decoding budget as files.
     *
     * @param bytes the file's bytes, at most {@link #MAX_FILE_BYTES}
     * @param name what to call it in errors (the upload's file name)
     * @return its pixels, as {@link #read(Path)}
     * @throws DataException if it is too large, unreadable or not an image
     */
    public static Image read(byte[] bytes, String name) {
        if (bytes.length > MAX_FILE_BYTES) {
            throw new DataException(
                    name
                            + ": "
                            + bytes.length
                            + " bytes, more than the "
                            + MAX_FILE_BYTES
                            + " an image file may have");
        }
        Path label = Path.of(name.replaceAll("[\\x00-\\x1f/\\\\]", "_"));
        return decode(
                label,
                () -> checkSize(new ByteArrayInputStream(bytes), label),
                () -> ImageIO.read(new ByteArrayInputStream(bytes)),
                e -> new DataException(name + ": unreadable image: " + e.getMessage(), e),
                () -> new DataException(name + ": " + NOT_AN_IMAGE));
    }

    /**
     * Reads an image that must lie inside {@code root}, opened so that no path swapped after a
     * check can lead outside it ({@link ConfinedFiles}).
     *
     * @param root the folder the file must lie in
     * @param file the image file
     * @return its pixels, as {@link #read(Path)}
     * @throws DataException if it is outside the root, missing, unreadable or not an image
     */
    public static Image read(Path root, Path file) {
        byte[] bytes;
        try (SeekableByteChannel channel = ConfinedFiles.open(root, file)) {
            long size = channel.size();
            if (size > MAX_FILE_BYTES) {
                throw new DataException(
                        file
                                + ": "
                                + size
                                + " bytes, more than the "
                                + MAX_FILE_BYTES
                                + " an image file may have");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read on
            }
            bytes = buffer.array();
        } catch (ConfinedFiles.OutsideRoot e) {
            throw new DataException(e.getMessage());
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such image file");
        } catch (IOException e) {
            throw new DataException(file + ": unreadable image: " + e.getMessage(), e);
        }
        byte[] image = bytes;
        return decode(
                file,
                () -> checkSize(new ByteArrayInputStream(image), file),
                () -> ImageIO.read(new ByteArrayInputStream(image)),
                e -> new DataException(file + ": unreadable image: " + e.getMessage(), e),
                () -> new DataException(file + ": " + NOT_AN_IMAGE));
    }

    /**
     * Reads only the header's width and height, and refuses an image over {@link Image#MAX_PIXELS}.
     *
     * @return its pixels; 1 where no reader knows the format (the decode then finds no image)
     */
    private static long checkSize(Object input, Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(input)) {
            if (in == null) {
                return 1;
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return 1;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > Image.MAX_PIXELS) {
                    throw new DataException(
                            file
                                    + ": "
                                    + reader.getWidth(0)
                                    + "x"
                                    + reader.getHeight(0)
                                    + " pixels is more than the "
                                    + Image.MAX_PIXELS
                                    + " an image may have");
                }
                return pixels;
            } finally {
                reader.dispose();
            }
        }
    }

    static Image fromBuffered(BufferedImage decoded) {
        int h = decoded.getHeight();
        int w = decoded.getWidth();
        Raster raster = decoded.getRaster();
        boolean grey =
                raster.getNumBands() <= 2 && decoded.getColorModel().getNumColorComponents() == 1;
        if (grey) {
            int shift = Math.max(0, DataBuffer.getDataTypeSize(raster.getTransferType()) - 8);
            if (decoded.getColorModel().getComponentSize(0) < 8) {
                // 1, 2 or 4-bit palettes and binary images: let the colour model expand them
                grey = false;
            } else {
                Image image = Image.blankGrey(h, w);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        image.set(0, y, x, raster.getSample(x, y, 0) >>> shift);
                    }
                }
                return image;
            }
        }
        byte[] pixels = new byte[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = decoded.getRGB(x, y);
                int i = y * w + x;
                pixels[i] = (byte) (rgb >> 16);
                pixels[h * w + i] = (byte) (rgb >> 8);
                pixels[2 * h * w + i] = (byte) rgb;
            }
        }
        return new Image(3, h, w, pixels);
    }

    /**
     * Writes a PNG (grey for one channel, RGB for three), atomically.
     *
     * @param image the image
     * @param file where to write it
     * @throws DataException if it cannot be written
     */
    public static void writePng(Image image, Path file) {
        int h = image.height();
        int w = image.width();
        BufferedImage out =
                new BufferedImage(
                        w,
                        h,
                        image.channels() == 1
                                ? BufferedImage.TYPE_BYTE_GRAY
                                : BufferedImage.TYPE_INT_RGB);
        WritableRaster raster = out.getRaster();
        for (int c = 0; c < image.channels(); c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    raster.setSample(x, y, c, image.at(c, y, x));
                }
            }
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            if (!ImageIO.write(out, "png", tmp.toFile())) {
                throw new DataException(file + ": no PNG writer in this JDK");
            }
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": folder does not exist", e);
        } catch (IOException e) {
            throw new DataException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
