package dev.glora.db;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * The lock that makes one service the owner of a data folder: {@code <data folder>.lock}, held from
 * the server's start to its stop. A second service on the same folder, in this process or another,
 * is refused and stops nothing; the lock goes with the process that held it.
 */
final class DataFolderLock implements AutoCloseable {

    /** Lock files this process holds (closing another channel on one would release its lock). */
    private static final Set<Path> HELD = new HashSet<>();

    private final Path file;
    private final FileChannel channel;

    private DataFolderLock(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /**
     * @param file the lock file, made when missing
     * @param dataDir the data folder it guards, for the refusal's message
     * @return the held lock
     * @throws DatabaseException when another service holds it, or it cannot be made
     */
    static DataFolderLock hold(Path file, Path dataDir) {
        String refusal =
                "embedded PostgreSQL: another service is running on "
                        + dataDir
                        + " (it holds "
                        + file
                        + "); stop it first, or give this one another folder (glora.embedded-data-dir)";
        synchronized (HELD) {
            if (HELD.contains(file)) {
                throw new DatabaseException(refusal);
            }
            FileChannel channel = null;
            try {
                Files.createDirectories(file.getParent());
                channel =
                        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                if (channel.tryLock() != null) {
                    HELD.add(file);
                    return new DataFolderLock(file, channel);
                }
            } catch (IOException e) {
                closeQuietly(channel);
                throw new DatabaseException(
                        "embedded PostgreSQL: cannot lock " + file + ": " + e.getMessage(), e);
            }
            closeQuietly(channel);
            throw new DatabaseException(refusal);
        }
    }

    /** Releases the lock (closing the channel releases it). */
    @Override
    public void close() {
        synchronized (HELD) {
            HELD.remove(file);
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing releases the lock; nothing else to do
            }
        }
    }
}
