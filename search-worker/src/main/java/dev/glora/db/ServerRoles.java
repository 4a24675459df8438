package dev.glora.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The cluster's roles, set up as the superuser {@code postgres} on every start: password
 * authentication for every connection, and the service's own role, which is no superuser.
 */
final class ServerRoles {

    private final String adminUrl;
    private final String password;

    /**
     * @param adminUrl the JDBC URL of the {@code postgres} database as the superuser {@code
     *     postgres}
     * @param password the password both roles log in with (64 hex digits: {@link PasswordFile})
     */
    ServerRoles(String adminUrl, String password) {
        this.adminUrl = adminUrl;
        this.password = password;
    }

    /**
     * Makes sure the cluster asks for the password: a cluster that an older version made with trust
     * authentication gets the role's password set over the (still trusting) connection, then SCRAM
     * for every connection, and a reload.
     *
     * @param hba the cluster's {@code pg_hba.conf}
     * @param secretFile the password's file, named in the new {@code pg_hba.conf}
     * @param reload reloads the server's configuration
     */
    void requirePassword(Path hba, Path secretFile, Runnable reload) {
        try {
            boolean trusting =
                    Files.readAllLines(hba).stream()
                            .map(String::strip)
                            .anyMatch(line -> !line.startsWith("#") && line.matches(".*\\strust$"));
            if (!trusting) {
                return;
            }
            Properties login = new Properties();
            login.setProperty("user", "postgres");
            try (Connection c = DriverManager.getConnection(adminUrl, login);
                    Statement statement = c.createStatement()) {
                statement.execute("ALTER ROLE postgres PASSWORD '" + password + "'");
            }
            Files.writeString(
                    hba,
                    """
                    # written by glora: every connection needs the password in %s
                    local all all scram-sha-256
                    host all all 127.0.0.1/32 scram-sha-256
                    host all all ::1/128 scram-sha-256
                    local replication all scram-sha-256
                    host replication all 127.0.0.1/32 scram-sha-256
                    host replication all ::1/128 scram-sha-256
                    """
                            .formatted(secretFile));
            reload.run();
        } catch (IOException | SQLException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: cannot switch "
                            + hba
                            + " from trust to password"
                            + " authentication: "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Makes the service's role, {@value EmbeddedPostgres#SERVICE_ROLE}: it logs in with the same
     * password, is no superuser (so no SQL it runs can reach the operating system, as {@code COPY
     * ... PROGRAM} can), and owns the schema {@code public} and everything in it, which a database
     * that an older version made as {@code postgres} is handed over to on its next start.
     */
    void serviceRole() {
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", password);
        try (Connection c = DriverManager.getConnection(adminUrl, login);
                Statement statement = c.createStatement()) {
            statement.execute(
                    """
                    DO $$ BEGIN
                      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%1$s') THEN
                        CREATE ROLE %1$s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
                      END IF;
                    END $$"""
                            .formatted(EmbeddedPostgres.SERVICE_ROLE));
            statement.execute(
                    "ALTER ROLE "
                            + EmbeddedPostgres.SERVICE_ROLE
                            + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
                            + " NOREPLICATION NOBYPASSRLS PASSWORD '"
                            + password
                            + "'"); // 64 hex digits: PasswordFile
            statement.execute("ALTER SCHEMA public OWNER TO " + EmbeddedPostgres.SERVICE_ROLE);
            statement.execute(
                    """
                    DO $$ DECLARE r record; BEGIN
                      FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                            AND pg_get_userbyid(c.relowner) <> '%1$s' LOOP
                        EXECUTE format('ALTER TABLE %%s OWNER TO %1$s', r.name);
                      END LOOP;
                      FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind = 'S'
                            AND pg_get_userbyid(c.relowner) <> '%1$s'
                            AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
                        EXECUTE format('ALTER SEQUENCE %%s OWNER TO %1$s', r.name);
                      END LOOP;
                      FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                          JOIN pg_namespace n ON n.oid = p.pronamespace
                          WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '%1$s' LOOP
                        EXECUTE format('ALTER FUNCTION %%s OWNER TO %1$s', r.name);
                      END LOOP;
                    END $$"""
                            .formatted(EmbeddedPostgres.SERVICE_ROLE));
        } catch (SQLException e) {
            throw new DatabaseException(
                    "embedded PostgreSQL: cannot set up the service's role "
                            + EmbeddedPostgres.SERVICE_ROLE
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }
}
