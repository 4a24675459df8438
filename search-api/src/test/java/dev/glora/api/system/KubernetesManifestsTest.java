package dev.glora.api.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.glora.db.TestDatabase;
import dev.glora.jobs.Stores;
import dev.glora.queue.QueueSettings;
import dev.glora.queue.TaskKind;
import dev.glora.worker.TinyJob;
import dev.glora.worker.Worker;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;

/**
 * Issue 34: {@code deploy/kubernetes}, without a cluster. Every manifest loads with fabric8's
 * model; they agree with the code (images, ports, probe paths, settings the code reads, volumes
 * where the settings point, the restricted pod security level, the grace period above the worker's
 * stop wait); KEDA's query counts exactly the tasks that need a worker in the migrated schema; and
 * every overlay applies to fabric8's mock API server.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(300)
class KubernetesManifestsTest {

    private static final Path ROOT = Path.of("..", "deploy", "kubernetes");

    /** Set by the mock-server extension. */
    static KubernetesClient client;

    /** The resources a kustomization lists, its bases' first, read with fabric8's model. */
    private static List<HasMetadata> load(Path kustomization) throws IOException {
        Map<String, Object> k = new Yaml().load(Files.readString(kustomization));
        List<HasMetadata> resources = new ArrayList<>();
        for (Object entry : (List<?>) k.get("resources")) {
            Path path = kustomization.getParent().resolve(entry.toString()).normalize();
            if (Files.isDirectory(path)) {
                resources.addAll(load(path.resolve("kustomization.yaml")));
            } else {
                try (InputStream in = Files.newInputStream(path)) {
                    resources.addAll(client.load(in).items());
                }
            }
        }
        return resources;
    }

    private static <T extends HasMetadata> T one(
            List<HasMetadata> resources, Class<T> type, String name) {
        return resources.stream()
                .filter(type::isInstance)
                .map(type::cast)
                .filter(r -> r.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    private static Map<String, String> data(List<HasMetadata> resources) {
        Map<String, String> settings =
                new HashMap<>(one(resources, ConfigMap.class, "glora-settings").getData());
        settings.putAll(one(resources, Secret.class, "glora-secrets").getStringData());
        return settings;
    }

    @Test
    void theBaseAgreesWithTheCodeAndTheImages() throws Exception {
        List<HasMetadata> base = load(ROOT.resolve("base/kustomization.yaml"));
        Map<String, String> settings = data(base);
        Deployment api = one(base, Deployment.class, "glora-api");
        Deployment worker = one(base, Deployment.class, "glora-worker");

        // the images docker-compose builds from the Dockerfile's targets
        String compose = Files.readString(Path.of("..", "docker-compose.yml"));
        Container apiContainer = api.getSpec().getTemplate().getSpec().getContainers().get(0);
        Container workerContainer = worker.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(compose.contains("image: " + apiContainer.getImage()), apiContainer.getImage());
        assertTrue(
                compose.contains("image: " + workerContainer.getImage()),
                workerContainer.getImage());

        // ports and probes: the service's port, the health groups Spring serves, the worker's
        // metrics
        assertEquals(8080, apiContainer.getPorts().get(0).getContainerPort());
        assertTrue(
                Files.readString(Path.of("src/main/resources/application.properties"))
                        .contains("management.endpoint.health.probes.enabled=true"));
        assertEquals(
                "/actuator/health/liveness",
                apiContainer.getLivenessProbe().getHttpGet().getPath());
        assertEquals(
                "/actuator/health/readiness",
                apiContainer.getReadinessProbe().getHttpGet().getPath());
        assertEquals(
                Integer.parseInt(settings.get("GLORA_WORKER_METRICS_PORT")),
                workerContainer.getPorts().get(0).getContainerPort());
        assertEquals("/metrics", workerContainer.getReadinessProbe().getHttpGet().getPath());
        assertTrue(
                String.join(" ", workerContainer.getLivenessProbe().getExec().getCommand())
                        .contains(settings.get("GLORA_WORKER_ALIVE_FILE")));

        // every setting is one the code reads
        String workerCommand =
                Files.readString(
                        Path.of(
                                "..",
                                "search-worker",
                                "src",
                                "main",
                                "java",
                                "dev",
                                "glora",
                                "cli",
                                "WorkerCommand.java"));
        Set<String> properties =
                Stream.of(GloraProperties.class.getRecordComponents())
                        .map(c -> c.getName().replaceAll("([A-Z])", "_$1").toUpperCase(Locale.ROOT))
                        .map(n -> "GLORA_" + n)
                        .collect(Collectors.toSet());
        Set<String> others =
                Set.of(
                        "SERVER_ADDRESS",
                        "SPRING_DATASOURCE_URL",
                        "SPRING_DATASOURCE_USERNAME",
                        "SPRING_DATASOURCE_PASSWORD",
                        "DJL_CACHE_DIR",
                        "KEDA_POSTGRES_CONNECTION");
        for (String key : settings.keySet()) {
            assertTrue(
                    workerCommand.contains("${env:" + key)
                            || properties.contains(key)
                            || others.contains(key),
                    key
                            + " is read by glora worker, the service's glora.* settings, Spring, DJL or KEDA");
        }
        assertEquals(
                settings.get("SPRING_DATASOURCE_URL"),
                settings.get("GLORA_DB_URL"),
                "one database for both");
        assertTrue(
                settings.get("KEDA_POSTGRES_CONNECTION")
                        .contains(
                                settings.get("GLORA_DB_URL")
                                        .replace("jdbc:postgresql://", "@")
                                        .replaceAll("\\?.*", "")),
                "KEDA counts the same database");

        // volumes mounted where the settings point; writable folders for what the read-only root
        // cannot hold
        assertMounted(api, settings.get("GLORA_MODELS"), "glora-models");
        assertMounted(api, settings.get("GLORA_DATA"), "glora-data");
        assertMounted(worker, settings.get("GLORA_MODEL_ROOT"), "glora-models");
        assertMounted(worker, settings.get("GLORA_DATA_ROOT"), "glora-data");
        for (Deployment d : List.of(api, worker)) {
            assertMounted(d, settings.get("DJL_CACHE_DIR"), null);
            assertMounted(d, "/tmp", null);
        }
        assertMounted(api, settings.get("GLORA_CACHE_DIR"), null);
        assertMounted(worker, settings.get("GLORA_WORKER_ALIVE_FILE"), null);

        // the restricted pod security standard, as the images' user
        String dockerfile = Files.readString(Path.of("..", "Dockerfile"));
        for (Deployment d : List.of(api, worker)) {
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            assertTrue(pod.getSecurityContext().getRunAsNonRoot());
            assertTrue(dockerfile.contains("--uid " + pod.getSecurityContext().getRunAsUser()));
            assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
            Container c = pod.getContainers().get(0);
            assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
            assertEquals(Boolean.FALSE, c.getSecurityContext().getAllowPrivilegeEscalation());
            assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
            assertNotNull(c.getResources().getLimits().get("memory"), d.getMetadata().getName());
            assertNotNull(c.getResources().getRequests().get("memory"), d.getMetadata().getName());
        }
        Field stopWait = Worker.class.getDeclaredField("STOP_WAIT_MS");
        stopWait.setAccessible(true);
        assertTrue(
                worker.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds() * 1000
                        > stopWait.getLong(null),
                "a stopped worker gets longer than Worker.close waits");

        // KEDA scales the worker Deployment from zero, on the secret's connection
        GenericKubernetesResource scaled =
                one(base, GenericKubernetesResource.class, "glora-worker");
        assertEquals("ScaledObject", scaled.getKind());
        Map<?, ?> spec = (Map<?, ?>) scaled.getAdditionalProperties().get("spec");
        assertEquals(
                worker.getMetadata().getName(),
                ((Map<?, ?>) spec.get("scaleTargetRef")).get("name"));
        assertEquals(0, spec.get("minReplicaCount"));
    }

    private static void assertMounted(Deployment d, String path, String claim) {
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        var mount =
                pod.getContainers().get(0).getVolumeMounts().stream()
                        .filter(
                                m ->
                                        path.equals(m.getMountPath())
                                                || path.startsWith(m.getMountPath() + "/"))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                d.getMetadata().getName()
                                                        + " mounts nothing at "
                                                        + path));
        var volume =
                pod.getVolumes().stream()
                        .filter(v -> v.getName().equals(mount.getName()))
                        .findFirst()
                        .orElseThrow();
        if (claim != null) {
            assertEquals(claim, volume.getPersistentVolumeClaim().getClaimName(), path);
        } else {
            assertTrue(
                    volume.getEmptyDir() != null || volume.getPersistentVolumeClaim() != null,
                    path + " is writable");
        }
    }

    @Test
    void kedasQueryCountsExactlyTheTasksThatNeedAWorker() throws Exception {
        List<HasMetadata> base = load(ROOT.resolve("base/kustomization.yaml"));
        GenericKubernetesResource scaled =
                one(base, GenericKubernetesResource.class, "glora-worker");
        Map<?, ?> trigger =
                (Map<?, ?>)
                        ((List<?>)
                                        ((Map<?, ?>) scaled.getAdditionalProperties().get("spec"))
                                                .get("triggers"))
                                .get(0);
        assertEquals("postgresql", trigger.get("type"));
        String query = (String) ((Map<?, ?>) trigger.get("metadata")).get("query");
        try (HikariDataSource database = TestDatabase.pool(TestDatabase.createDatabase(true), 4)) {
            Stores stores =
                    Stores.open(
                            database,
                            Clock.systemUTC(),
                            new QueueSettings(Duration.ofSeconds(60), Duration.ofMillis(100), 3));
            assertEquals(0, count(database, query), "an empty queue: scale to zero");
            long job = stores.jobs().submit(TinyJob.spec(7, 1, 1)); // its supernet training: READY
            assertEquals(1, count(database, query));
            assertTrue(
                    stores.queue().claim("w1", EnumSet.allOf(TaskKind.class), null).isPresent(),
                    "claimed: now RUNNING");
            assertEquals(1, count(database, query), "a running task keeps its worker");
            try (Connection c = database.getConnection();
                    Statement s = c.createStatement()) {
                for (String state :
                        List.of(
                                "'READY', now() - interval '1 second'",
                                "'READY', now() + interval '1 hour'",
                                "'DONE', now()",
                                "'DEAD', now()",
                                "'CANCELLED', now()")) {
                    s.execute(
                            "INSERT INTO task (job_id, kind, priority, payload, status, run_after, max_attempts,"
                                    + " created_at) VALUES ("
                                    + job
                                    + ", 'EVALUATE', 1, '{}', "
                                    + state
                                    + ", 3, now())");
                }
            }
            assertEquals(
                    2,
                    count(database, query),
                    "the running task and the one ready now; not one backing off,"
                            + " finished, dead or cancelled");
        }
    }

    private static long count(DataSource database, String query) throws Exception {
        try (Connection c = database.getConnection();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void everyOverlayAppliesToAnApiServer() throws Exception {
        for (String overlay : List.of("cloudnative-pg", "external-postgres", "monitoring")) {
            String namespace = "glora-" + overlay;
            List<HasMetadata> resources =
                    load(ROOT.resolve("overlays/" + overlay + "/kustomization.yaml"));
            for (HasMetadata resource : resources) {
                if (resource instanceof GenericKubernetesResource custom) {
                    // a custom resource (KEDA, CloudNativePG, Prometheus Operator): as its CRD
                    // would serve it
                    String[] groupVersion = custom.getApiVersion().split("/");
                    client.genericKubernetesResources(
                                    new io.fabric8.kubernetes.client.dsl.base
                                                    .ResourceDefinitionContext.Builder()
                                            .withGroup(groupVersion[0])
                                            .withVersion(groupVersion[1])
                                            .withKind(custom.getKind())
                                            .withPlural(
                                                    custom.getKind().toLowerCase(Locale.ROOT) + "s")
                                            .withNamespaced(true)
                                            .build())
                            .inNamespace(namespace)
                            .resource(custom)
                            .create();
                } else {
                    client.resource(resource).inNamespace(namespace).create();
                }
            }
            assertEquals(
                    2,
                    client.apps().deployments().inNamespace(namespace).list().getItems().size(),
                    overlay);
            assertNotNull(
                    client.persistentVolumeClaims()
                            .inNamespace(namespace)
                            .withName("glora-models")
                            .get());
            assertEquals(
                    resources.size(),
                    resources.stream()
                            .map(r -> r.getKind() + "/" + r.getMetadata().getName())
                            .distinct()
                            .count(),
                    overlay + ": no resource twice");
        }
        List<HasMetadata> cnpg = load(ROOT.resolve("overlays/cloudnative-pg/kustomization.yaml"));
        GenericKubernetesResource cluster = one(cnpg, GenericKubernetesResource.class, "glora-db");
        assertEquals("postgresql.cnpg.io/v1", cluster.getApiVersion());
        Map<String, String> settings = data(cnpg);
        assertTrue(
                settings.get("GLORA_DB_URL")
                        .contains("//" + cluster.getMetadata().getName() + "-rw:"),
                "the URLs name the service CloudNativePG makes for the cluster");
        NetworkPolicy db = one(cnpg, NetworkPolicy.class, "glora-db");
        Set<String> allowed =
                db.getSpec().getIngress().get(0).getFrom().stream()
                        .filter(p -> p.getPodSelector() != null)
                        .map(p -> p.getPodSelector().getMatchLabels().get("app.kubernetes.io/name"))
                        .collect(Collectors.toSet());
        assertEquals(
                Set.of("glora-api", "glora-worker"),
                allowed,
                "only the API and the workers of the service");
    }
}
