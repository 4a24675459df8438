package dev.glora.api.system;

import dev.glora.jobs.Roots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
}
