package dev.glora.api.system;

import dev.glora.jobs.JobStore;
import dev.glora.jobs.ResultStore;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;

/** The job tables and roots the controllers and in-process workers share. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GloraProperties.class)
class ServiceConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    @DependsOn("flywayInitializer")
    Stores stores(DataSource database, Clock clock, GloraProperties properties) {
        return Stores.open(
                database,
                clock,
                new QueueSettings(
                        Duration.ofSeconds(properties.leaseSeconds()),
                        QueueSettings.DEFAULTS.backoff(),
                        QueueSettings.DEFAULTS.maxAttempts()));
    }

    @Bean
    JobStore jobStore(Stores stores) {
        return stores.jobs();
    }

    @Bean
    ResultStore resultStore(Stores stores) {
        return stores.results();
    }

    @Bean
    Roots roots(GloraProperties properties) {
        return new Roots(
                properties.models().toAbsolutePath().normalize(),
                properties.data().toAbsolutePath().normalize());
    }
}
