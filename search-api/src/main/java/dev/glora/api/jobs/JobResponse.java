package dev.glora.api.jobs;

import dev.glora.jobs.JobView;
import dev.glora.jobs.StoredSpec;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * A job as the API shows it.
 *
 * @param id its id
 * @param name its label
 * @param status QUEUED, TRAINING, SEARCHING, EXPORTING, SUCCEEDED, FAILED or CANCELLED
 * @param error why it failed, in full, or null
 * @param progress fraction done, in [0, 1]
 * @param epochs supernet epochs done and in all
 * @param generations generations done and in all
 * @param candidatesEvaluated candidates evaluated so far
 * @param bestValidationAccuracy best validation accuracy so far, or null
 * @param bestParameters trainable parameters of the best so far, or null
 * @param testAccuracy the chosen subnet's test accuracy, once exported, or null
 * @param baselineTestAccuracy the test accuracy of the job's LoRA baseline, once trained, or null
 * @param seed the seed of every random choice
 * @param spec the spec with defaults filled in
 * @param architecture the backbone's architecture name (a timm name for imported checkpoints), or
 *     null
 * @param createdAt submitted
 * @param startedAt first picked up, or null
 * @param finishedAt ended, or null
 * @param links where its results are
 */
record JobResponse(
        long id,
        String name,
        String status,
        String error,
        double progress,
        Count epochs,
        Count generations,
        int candidatesEvaluated,
        Double bestValidationAccuracy,
        Long bestParameters,
        Double testAccuracy,
        Double baselineTestAccuracy,
        long seed,
        JsonNode spec,
        String architecture,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Map<String, String> links) {

    /**
     * @param done how many are done @param total how many in all
     */
    record Count(int done, int total) {}

    static JobResponse of(JobView job, ObjectMapper json) {
        String self = "/api/v1/jobs/" + job.id();
        Map<String, String> links = new LinkedHashMap<>();
        links.put("self", self);
        for (String part :
                new String[] {
                    "events",
                    "epochs",
                    "generations",
                    "candidates",
                    "pareto",
                    "best-config",
                    "model",
                    "supernet",
                    "cancel"
                }) {
            links.put(part, self + "/" + part);
        }
        JsonNode spec;
        try {
            spec = json.readTree(StoredSpec.upgraded(job.spec()).toString());
        } catch (JacksonException e) {
            throw new IllegalStateException("job " + job.id() + " has an unreadable spec", e);
        }
        if (spec.path("baseline").path("lora").asBoolean(false)) {
            links.put("baseline-model", self + "/baseline-model");
        }
        return new JobResponse(
                job.id(),
                job.name(),
                job.status().name(),
                job.error(),
                job.progress(),
                new Count(job.epochsDone(), job.epochsTotal()),
                new Count(job.generationsDone(), job.generationsTotal()),
                job.candidatesEvaluated(),
                job.bestAccuracy(),
                job.bestParameters(),
                job.testAccuracy(),
                job.baselineTestAccuracy(),
                job.seed(),
                spec,
                job.backboneArchitecture(),
                job.createdAt(),
                job.startedAt(),
                job.finishedAt(),
                links);
    }
}
