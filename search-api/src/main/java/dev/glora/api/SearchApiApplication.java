package dev.glora.api;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Starts the search service's REST API. */
@SpringBootApplication
public class SearchApiApplication {

    /**
     * @param args Spring Boot arguments, e.g. {@code --server.port=8081}
     */
    public static void main(String[] args) {
        SpringApplication.run(SearchApiApplication.class, args);
    }
}
