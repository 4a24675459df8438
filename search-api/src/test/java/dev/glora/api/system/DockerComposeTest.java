package dev.glora.api.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml, read as YAML: its services, images, builds and settings agree with each other
 * and the code.
 */
class DockerComposeTest {

    private static final Path ROOT = Path.of("..");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(Map<String, Object> compose, String name) {
        return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> env(Map<String, Object> service) {
        return (Map<String, String>) service.get("environment");
    }

    @Test
    @SuppressWarnings("unchecked")
    void servicesImagesAndSettingsAreConsistent() throws IOException {
        Map<String, Object> compose =
                new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
        assertEquals(
                List.of("postgres", "search-api", "search-worker"),
                List.copyOf(((Map<String, Object>) compose.get("services")).keySet()));
        Map<String, Object> postgres = service(compose, "postgres");
        Map<String, Object> api = service(compose, "search-api");
        Map<String, Object> worker = service(compose, "search-worker");
        assertEquals("postgres:17", postgres.get("image"));

        String database = "jdbc:postgresql://postgres:5432/" + env(postgres).get("POSTGRES_DB");
        assertEquals(database, env(api).get("SPRING_DATASOURCE_URL"));
        assertEquals(database, env(worker).get("GLORA_DB_URL"));
        assertEquals(
                env(postgres).get("POSTGRES_USER"), env(api).get("SPRING_DATASOURCE_USERNAME"));
        assertEquals(env(postgres).get("POSTGRES_USER"), env(worker).get("GLORA_DB_USER"));
        assertEquals(
                env(postgres).get("POSTGRES_PASSWORD"), env(api).get("SPRING_DATASOURCE_PASSWORD"));
        assertEquals(env(postgres).get("POSTGRES_PASSWORD"), env(worker).get("GLORA_DB_PASSWORD"));

        assertEquals(env(api).get("GLORA_MODELS"), env(worker).get("GLORA_MODEL_ROOT"));
        assertEquals(env(api).get("GLORA_DATA"), env(worker).get("GLORA_DATA_ROOT"));
        for (Map<String, Object> service : List.of(api, worker)) {
            // named volumes, shared by the API (uploads) and the workers, started from the images'
            // sample roots
            List<String> volumes = (List<String>) service.get("volumes");
            assertTrue(
                    volumes.contains("glora-models:" + env(api).get("GLORA_MODELS")),
                    volumes.toString());
            assertTrue(
                    volumes.contains("glora-data:" + env(api).get("GLORA_DATA")),
                    volumes.toString());
        }
        assertTrue(
                ((Map<String, Object>) compose.get("volumes"))
                        .keySet()
                        .containsAll(List.of("glora-models", "glora-data")));
        assertEquals(
                Map.of("search-api", Map.of("condition", "service_healthy")),
                worker.get("depends_on"),
                "workers start once the API has migrated the database and answers its health check");

        String workerCommand =
                Files.readString(
                        ROOT.resolve(
                                "search-worker/src/main/java/dev/glora/cli/WorkerCommand.java"));
        for (String variable : env(worker).keySet()) {
            assertTrue(
                    workerCommand.contains("${env:" + variable),
                    variable + " is read by glora worker");
        }
        assertEquals(
                "0",
                env(api).get("GLORA_WORKERS"),
                "compose leaves the work to the worker service");
        // issue 34: the workers' metrics, inside the compose network, never published on the host
        assertEquals(List.of(env(worker).get("GLORA_WORKER_METRICS_PORT")), worker.get("expose"));
        assertEquals(null, worker.get("ports"), "the metrics port is not published");
        assertEquals(
                "0.0.0.0", env(api).get("SERVER_ADDRESS"), "reachable from outside its container");
        assertEquals(
                List.of("${GLORA_PUBLISH:-127.0.0.1}:8080:8080"),
                api.get("ports"),
                "published on the host's loopback unless asked (issue 31)");
        assertTrue(
                String.valueOf(env(api).get("GLORA_API_TOKEN")).startsWith("${GLORA_API_TOKEN:?"),
                "so a token is required (ExposureCheck): " + env(api).get("GLORA_API_TOKEN"));

        assertEquals(Map.of("context", ".", "target", "search-api"), api.get("build"));
        assertEquals(Map.of("context", ".", "target", "search-worker"), worker.get("build"));
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        List<String> stages =
                Pattern.compile("(?m)^FROM (\\S+) AS (\\S+)")
                        .matcher(dockerfile)
                        .results()
                        .map(m -> m.group(2))
                        .toList();
        assertEquals(
                List.of("build", "runtime", "search-api", "search-worker"),
                stages,
                "multi-stage, one target each");
        assertTrue(
                dockerfile.contains("./mvnw -B -ntp -DskipTests package"),
                "built from the clone, not the host");
        assertTrue(dockerfile.contains("FROM eclipse-temurin:17-jre AS runtime"));
        assertTrue(
                dockerfile.contains("USER glora")
                        && dockerfile.indexOf("USER glora") < dockerfile.indexOf("AS search-api"),
                "both images run as the unprivileged user");
        assertEquals(
                2,
                Pattern.compile("(?m)^HEALTHCHECK ").matcher(dockerfile).results().count(),
                "a health check per image");
        assertTrue(dockerfile.contains("/actuator/health/liveness"));
        assertTrue(
                dockerfile.contains("GLORA_WORKER_ALIVE_FILE=/tmp/glora-worker-alive")
                        && dockerfile.contains("find /tmp/glora-worker-alive -mmin -1"),
                "the worker's check reads its alive file");
        assertTrue(workerCommand.contains("${env:GLORA_WORKER_ALIVE_FILE}"));
        // the jars the images copy are the ones the build writes
        assertTrue(
                Files.readString(ROOT.resolve("search-api/pom.xml"))
                        .contains("<finalName>search-api</finalName>"));
        Matcher jar =
                Pattern.compile("/src/search-worker/target/(search-worker-([^ ]+)\\.jar)")
                        .matcher(dockerfile);
        assertTrue(jar.find(), dockerfile);
        assertTrue(
                Files.readString(ROOT.resolve("pom.xml"))
                        .contains("<version>" + jar.group(2) + "</version>"),
                "the worker image copies the jar of the current version");
        assertTrue(
                Files.readString(ROOT.resolve("search-worker/pom.xml"))
                        .contains(
                                "<outputDirectory>${project.build.directory}/lib</outputDirectory>"));
        // the sample task the image carries is where the demo and the docs look for it
        assertTrue(dockerfile.contains("--out /sample/data/fmnist-vtab-sample"));
        assertTrue(
                Files.readString(
                                ROOT.resolve(
                                        "search-api/src/main/java/dev/glora/api/system/DemoJob.java"))
                        .contains("\"fmnist-vtab-sample/new5\""));
        assertTrue(Files.readString(ROOT.resolve(".dockerignore")).contains("**/target/"));
    }
}
