package dev.glora.supernet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Opens a file for reading only if it lies inside a root folder, in a way that a path swapped after
 * any check cannot escape: the walk from the root goes one name at a time through open directory
 * handles ({@code openat}, via {@link SecureDirectoryStream}) and never follows a symbolic link on
 * its own. A symbolic link met on the way is resolved when it is met and followed only if its
 * target lies inside the root; the walk then starts again from the root with the resolved path, by
 * the same rules. Whatever is swapped in meanwhile is met by the walk, not trusted from a check
 * made before it.
 *
 * <p>Where the platform has no secure directory streams (not Linux), the file is opened by its
 * checked real path, which leaves the window between the check and the open.
 */
public final class ConfinedFiles {

    /** Links followed in one open, as the kernel's own limit. */
    private static final int MAX_LINKS = 40;

    private ConfinedFiles() {}

    /** The path leads out of the root, through a symbolic link or "..". */
    public static final class OutsideRoot extends FileSystemException {
        private static final long serialVersionUID = 1L;

        OutsideRoot(Path file, Path root, String how) {
            super(file.toString(), null, "leads out of " + root + " " + how);
        }
    }

    /**
     * @param root the folder the file must lie in
     * @param file the file, absolute or relative to the working folder
     * @return a channel open for reading (a {@link FileChannel} on Linux)
     * @throws OutsideRoot if the file lies outside the root, at the moment it is opened
     * @throws NoSuchFileException if it does not exist
     * @throws IOException if it cannot be read
     */
    public static SeekableByteChannel open(Path root, Path file) throws IOException {
        Path realRoot = root.toRealPath();
        Path relative =
                relativeTo(root.toAbsolutePath().normalize(), file.toAbsolutePath().normalize());
        if (relative == null) {
            relative = relativeTo(realRoot, file.toAbsolutePath().normalize());
        }
        if (relative == null) {
            throw new OutsideRoot(file, root, "(it is not under it)");
        }
        for (int links = 0; links <= MAX_LINKS; links++) {
            try (DirectoryStream<Path> top = Files.newDirectoryStream(realRoot)) {
                if (!(top instanceof SecureDirectoryStream<Path> secure)) {
                    return openChecked(realRoot, realRoot.resolve(relative), file, root);
                }
                Step step = walk(secure, realRoot, relative, file, root);
                if (step.channel() != null) {
                    return step.channel();
                }
                relative = step.again();
            }
        }
        throw new FileSystemException(
                file.toString(), null, "more than " + MAX_LINKS + " symbolic links");
    }

    /** A walk's outcome: the file opened, or the root-relative path to walk again after a link. */
    private record Step(SeekableByteChannel channel, Path again) {}

    private static Path relativeTo(Path base, Path absolute) {
        if (!absolute.startsWith(base)) {
            return null;
        }
        Path relative = base.relativize(absolute);
        return relative.toString().isEmpty() ? null : relative;
    }

    /** Walks {@code relative} from the root's handle. */
    private static Step walk(
            SecureDirectoryStream<Path> top, Path realRoot, Path relative, Path file, Path root)
            throws IOException {
        SecureDirectoryStream<Path> dir = top;
        List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
        try {
            int names = relative.getNameCount();
            for (int i = 0; i < names; i++) {
                Path name = relative.getName(i);
                if (name.toString().equals("..") || name.toString().equals(".")) {
                    throw new OutsideRoot(file, root, "(through \"" + name + "\")");
                }
                BasicFileAttributes attributes;
                try {
                    attributes =
                            dir.getFileAttributeView(
                                            name,
                                            BasicFileAttributeView.class,
                                            LinkOption.NOFOLLOW_LINKS)
                                    .readAttributes();
                } catch (NoSuchFileException e) {
                    throw new NoSuchFileException(file.toString());
                }
                if (attributes.isSymbolicLink()) {
                    // resolved now, checked now, walked again from the root
                    Path here = realRoot.resolve(relative.subpath(0, i + 1));
                    Path target = here.toRealPath();
                    if (!target.startsWith(realRoot)) {
                        throw new OutsideRoot(
                                file, root, "through a symbolic link (to " + target + ")");
                    }
                    Path rest = i + 1 < names ? relative.subpath(i + 1, names) : null;
                    Path again = realRoot.relativize(target);
                    if (again.toString().isEmpty()) {
                        if (rest == null) {
                            throw new FileSystemException(
                                    file.toString(), null, "is a folder, not a file");
                        }
                        return new Step(null, rest);
                    }
                    return new Step(null, rest == null ? again : again.resolve(rest));
                }
                if (i == names - 1) {
                    return new Step(
                            dir.newByteChannel(
                                    name,
                                    Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)),
                            null);
                }
                dir = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
                opened.add(dir);
            }
            throw new NoSuchFileException(file.toString());
        } finally {
            for (SecureDirectoryStream<Path> stream : opened) {
                stream.close();
            }
        }
    }

    private static SeekableByteChannel openChecked(Path realRoot, Path path, Path file, Path root)
            throws IOException {
        Path real = path.toRealPath();
        if (!real.startsWith(realRoot)) {
            throw new OutsideRoot(file, root, "through a symbolic link (to " + real + ")");
        }
        return Files.newByteChannel(real, StandardOpenOption.READ);
    }

    /**
     * Deletes a folder and everything in it as far as it can, never following a link (a link inside
     * is removed, not what it points to).
     *
     * @param dir the folder; nothing happens when it does not exist
     * @return whether it is gone
     */
    public static boolean deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException | UncheckedIOException e) {
            // what is left is reported by the return value
        }
        return !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
    }
}
