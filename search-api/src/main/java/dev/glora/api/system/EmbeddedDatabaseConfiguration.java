package dev.glora.api.system;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.EmbeddedPostgres;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * With no {@code spring.datasource.url}, the service runs its own PostgreSQL (real binaries from a
 * Maven artefact) with its data in {@code glora.embedded-data-dir}, which survives restarts, and a
 * random password kept beside it ({@link EmbeddedPostgres}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(
        prefix = "spring.datasource",
        name = "url",
        havingValue = "embedded",
        matchIfMissing = true)
class EmbeddedDatabaseConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabaseConfiguration.class);

    @Bean(destroyMethod = "close")
    EmbeddedPostgres embeddedPostgres(GloraProperties properties) {
        EmbeddedPostgres postgres =
                EmbeddedPostgres.start(properties.embeddedDataDir(), properties.embeddedPort());
        LOG.info(
                "Embedded PostgreSQL at {} (cluster in {}); more workers attach with: bin/glora worker --db '{}'"
                        + " --db-password-file '{}'",
                postgres.jdbcUrl(),
                postgres.dataDir(),
                postgres.jdbcUrl(),
                postgres.secretFile());
        return postgres;
    }

    @Bean(destroyMethod = "close")
    DataSource dataSource(EmbeddedPostgres postgres) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.jdbcUrl());
        config.setPassword(postgres.password());
        config.setMaximumPoolSize(20);
        config.setPoolName("glora-embedded");
        return new HikariDataSource(config);
    }
}
