package dev.glora.db;

import com.sun.security.auth.module.UnixSystem;

/**
 * Who this process runs as, read from the system on Linux and macOS alike (no {@code /proc}).
 * PostgreSQL refuses to run as root, so a server started by root runs as {@link #NOBODY}.
 */
final class PosixUser {

    /** The user a server started by root runs as ({@code nobody}). */
    static final long NOBODY = 65534;

    private PosixUser() {}

    /**
     * @return this process's user id
     */
    static long uid() {
        return new UnixSystem().getUid();
    }

    /**
     * @return whether this process runs as root
     */
    static boolean isRoot() {
        return uid() == 0;
    }
}
