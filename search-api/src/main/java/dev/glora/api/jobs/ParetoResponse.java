package dev.glora.api.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.glora.search.Candidate;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /api/v1/jobs/{id}/pareto}: the front of validation accuracy (max) against trainable
 * parameters (min). Once the search exported it, the final front ({@code final}: true) with each
 * point's configuration and the chosen one marked, as {@code pareto.json} holds it; before, the
 * front of the candidates evaluated so far ({@code final}: false), each point with its key.
 *
 * @param complete whether this is the exported, final front
 * @param objectives the two objectives, as the export names them (final front only)
 * @param maxParams the job's parameter limit, -1 for none (final front only)
 * @param front the points, fewest parameters first
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
record ParetoResponse(
        @JsonProperty("final") Boolean complete,
        List<String> objectives,
        @JsonProperty("max_params") Long maxParams,
        List<Point> front) {

    /**
     * One point of the front.
     *
     * @param trainableParameters the adapter's trainable parameters
     * @param validationAccuracy its accuracy on the search's validation list
     * @param generation the generation that first evaluated it
     * @param chosen whether it is the job's choice (final front only)
     * @param seed the known adapter it was seeded as, if one
     * @param key its configuration's key (running front only)
     * @param config its configuration (final front only)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Point(
            @JsonProperty("trainable_parameters") long trainableParameters,
            @JsonProperty("validation_accuracy") double validationAccuracy,
            int generation,
            Boolean chosen,
            String seed,
            String key,
            JsonNode config) {}

    /** The front of candidates evaluated so far. */
    static ParetoResponse running(List<Candidate> front) {
        return new ParetoResponse(
                false,
                null,
                null,
                front.stream()
                        .map(
                                c ->
                                        new Point(
                                                c.parameters(),
                                                c.accuracy(),
                                                c.generation(),
                                                null,
                                                c.seed(),
                                                c.key(),
                                                null))
                        .toList());
    }
}
