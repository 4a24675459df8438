package dev.glora.api.system;

import dev.glora.jobs.JobStatus;
import dev.glora.jobs.JobView;
import dev.glora.jobs.Roots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Instant;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * What a web slice ({@code @WebMvcTest}) does not scan and every controller's filter and advice
 * need: the settings, the API token ({@link #TOKEN}, set by {@code glora.api-token}), empty roots.
 */
@TestConfiguration
@EnableConfigurationProperties(GloraProperties.class)
@Import(ApiToken.class)
public class WebSliceBeans {

    /** The token a slice test configures: {@code @TestPropertySource(properties = PROPERTY)}. */
    public static final String TOKEN = "slice-test-token";

    /** The property that sets it. */
    public static final String PROPERTY = "glora.api-token=" + TOKEN;

    @Bean
    Roots roots() {
        try {
            return new Roots(
                    Files.createTempDirectory("slice-models"),
                    Files.createTempDirectory("slice-data"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @return a job as the store lists it, in {@code status} after {@code generationsDone} of 5
     *     generations and all 3 epochs, with no test accuracy yet
     */
    public static JobView job(long id, JobStatus status, int generationsDone) {
        Instant at = Instant.parse("2026-12-07T00:00:00Z");
        return new JobView(
                id,
                "slice",
                "{}",
                1,
                status,
                null,
                3,
                3,
                generationsDone,
                5,
                40,
                0.8,
                1000L,
                null,
                at,
                at,
                null,
                at,
                "vit",
                null);
    }
}
