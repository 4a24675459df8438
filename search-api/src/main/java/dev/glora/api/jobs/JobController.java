package dev.glora.api.jobs;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.glora.jobs.Artefact;
import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobRequest;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.JobView;
import dev.glora.jobs.ModelBundle;
import dev.glora.jobs.ResultStore;
import dev.glora.jobs.Roots;
import dev.glora.jobs.SubmitChecks;
import dev.glora.search.Candidate;
import dev.glora.search.GenerationStats;
import dev.glora.search.Pareto;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.importer.TransformersVit;
import dev.glora.supernet.onnx.OnnxExport;
import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.vit.VitArchitecture;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipOutputStream;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import tools.jackson.databind.ObjectMapper;

/** Search jobs over REST: submit, watch, download, cancel. */
@RestController
@RequestMapping("/api/v1/jobs")
class JobController {

    private static final int MAX_TOP = 1000;

    private final JobStore jobs;
    private final ResultStore results;
    private final Roots roots;
    private final ObjectMapper json;
    private final LoadedModels models;

    /** The running front of each job, computed once per generation. */
    private final Map<Long, Map.Entry<Integer, ParetoResponse>> fronts = new ConcurrentHashMap<>();

    JobController(
            JobStore jobs,
            ResultStore results,
            Roots roots,
            ObjectMapper json,
            LoadedModels models) {
        this.models = models;
        this.jobs = jobs;
        this.results = results;
        this.roots = roots;
        this.json = json;
    }

    /**
     * The body is read by {@link JobRequest#parse}, with the JSON library that stores and reloads
     * the spec, so one library's rules decide what a spec is.
     */
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            required = true,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON_VALUE,
                            schema = @Schema(implementation = JobSpec.class)))
    ResponseEntity<JobResponse> submit(@RequestBody(required = false) String body) {
        JobSpec spec;
        try {
            spec = SubmitChecks.resolve(JobRequest.parse(body), roots);
        } catch (JobSpec.Unreadable e) {
            throw new ApiExceptions.InvalidSpec(e.errors());
        }
        SubmitChecks.Outcome checked = SubmitChecks.check(spec, roots);
        if (!checked.errors().isEmpty()) {
            throw new ApiExceptions.InvalidSpec(checked.errors());
        }
        // under the catalog lock: a backbone or task deleted since the checks above is named, not
        // used
        long id =
                jobs.submit(
                        spec,
                        checked.architecture(),
                        () -> {
                            List<JobSpec.FieldError> gone = SubmitChecks.stillThere(spec, roots);
                            if (!gone.isEmpty()) {
                                throw new ApiExceptions.InvalidSpec(gone);
                            }
                        });
        return ResponseEntity.created(URI.create("/api/v1/jobs/" + id))
                .body(JobResponse.of(job(id), json));
    }

    /** The spec every field of which is a default (the dashboard's form starts from it). */
    @GetMapping("/defaults")
    JobSpec defaults() {
        return new JobRequest(null, null, null, null, null, null).withDefaults();
    }

    /**
     * @return the closed sets a spec's text fields choose from ({@link JobSpec#choices})
     */
    @GetMapping("/choices")
    Map<String, List<String>> choices() {
        return JobSpec.choices();
    }

    @GetMapping
    List<JobResponse> list() {
        return jobs.list().stream().map(job -> JobResponse.of(job, json)).toList();
    }

    @GetMapping("/{id}")
    JobResponse get(@PathVariable long id) {
        return JobResponse.of(job(id), json);
    }

    @GetMapping("/{id}/epochs")
    List<EpochResult> epochs(@PathVariable long id) {
        job(id);
        return results.epochs(id);
    }

    @GetMapping("/{id}/generations")
    List<GenerationStats> generations(@PathVariable long id) {
        job(id);
        return results.generations(id);
    }

    @GetMapping("/{id}/candidates")
    List<Candidate> candidates(@PathVariable long id, @RequestParam(defaultValue = "10") int top) {
        job(id);
        if (top < 1 || top > MAX_TOP) {
            throw new GloraException("top must be in [1, " + MAX_TOP + "], got " + top);
        }
        return results.candidates(id, "best", top);
    }

    /**
     * The finalists trained so far (issue 30), in the proxy's order: each one's proxy and
     * short-trained val accuracy, size, and the known adapter it was seeded as; which one won is in
     * the best-config JSON's {@code finalists}.
     */
    @GetMapping("/{id}/finalists")
    List<ResultStore.StoredFinalist> finalists(@PathVariable long id) {
        job(id);
        return results.finalists(id);
    }

    /** The final front once exported; while the search runs, the front of the candidates so far. */
    @GetMapping("/{id}/pareto")
    ParetoResponse pareto(@PathVariable long id) {
        JobView job = job(id);
        int generations = job.generationsDone();
        return results.artefact(id, ArtefactKind.PARETO)
                .map(
                        a -> {
                            fronts.remove(id);
                            ParetoResponse stored =
                                    json.readValue(a.content(), ParetoResponse.class);
                            return new ParetoResponse(
                                    true, stored.objectives(), stored.maxParams(), stored.front());
                        })
                .orElseGet(
                        () -> {
                            if (job.status().terminal()) {
                                // a failed or cancelled job: nothing more will change, keep nothing
                                fronts.remove(id);
                                return runningFront(id);
                            }
                            Map.Entry<Integer, ParetoResponse> cached = fronts.get(id);
                            if (cached != null && cached.getKey() == generations) {
                                return cached.getValue();
                            }
                            ParetoResponse computed = runningFront(id);
                            fronts.put(id, Map.entry(generations, computed));
                            return computed;
                        });
    }

    /** The front of the candidates so far: one O(n log n) sweep ({@link Pareto#front}). */
    private ParetoResponse runningFront(long id) {
        return ParetoResponse.running(
                Pareto.front(results.candidates(id, "ordinal", Integer.MAX_VALUE)));
    }

    @GetMapping("/{id}/best-config")
    ResponseEntity<StreamingResponseBody> bestConfig(@PathVariable long id) {
        Located artefact = artefact(id, ArtefactKind.BEST_CONFIG, "the best configuration");
        return download(artefact, MediaType.APPLICATION_JSON, "job-" + id + "-best-config.json");
    }

    @GetMapping("/{id}/model")
    ResponseEntity<StreamingResponseBody> model(@PathVariable long id) {
        Located artefact = artefact(id, ArtefactKind.MODEL, "the merged model");
        return download(
                artefact, MediaType.APPLICATION_OCTET_STREAM, "job-" + id + "-model.safetensors");
    }

    /**
     * The model as a hub folder, zipped: {@code model.safetensors}, timm's {@code config.json}
     * (class names from the task's {@code task.json}, when it has them) and a {@code README.md}
     * model card ({@link ModelBundle}). The weights stream from the database.
     */
    @GetMapping("/{id}/bundle")
    ResponseEntity<StreamingResponseBody> bundle(@PathVariable long id) {
        Located model = artefact(id, ArtefactKind.MODEL, "the merged model");
        JobView job = job(id);
        JsonObject best =
                JsonParser.parseString(
                                new String(
                                        results.artefact(id, ArtefactKind.BEST_CONFIG)
                                                .orElseThrow(
                                                        () ->
                                                                new ApiExceptions.NotReady(
                                                                        "job "
                                                                                + id
                                                                                + " has no best"
                                                                                + " configuration"))
                                                .content(),
                                        StandardCharsets.UTF_8))
                        .getAsJsonObject();
        JobSpec spec = jobs.spec(id);
        List<String> labels = taskLabels(spec);
        try {
            ModelBundle.config(best, labels);
        } catch (RuntimeException e) {
            labels = List.of(); // the task's names do not fit the model: labels 0 to n-1
        }
        ModelBundle.Facts facts =
                new ModelBundle.Facts(
                        job.name() + " (job " + id + ")", spec.data(), labels, model.sha256());
        String folder = "job-" + id + "-bundle";
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/zip"))
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment()
                                .filename(folder + ".zip")
                                .build()
                                .toString())
                .body(
                        out ->
                                ModelBundle.writeZip(
                                        out,
                                        folder,
                                        best,
                                        facts,
                                        weights ->
                                                results.copyArtefact(
                                                        id,
                                                        ArtefactKind.MODEL,
                                                        model.size(),
                                                        DOWNLOAD_CHUNK,
                                                        weights)));
    }

    /**
     * The merged model as an ONNX graph ({@link OnnxExport}: opset 17, dynamic batch, the class
     * names in its metadata), converted on request from the stored model into a file of the cache
     * folder ({@link LoadedModels#convertJobModel}: one conversion at a time), then streamed and
     * deleted: a client that reads slowly holds no lock.
     */
    @GetMapping("/{id}/onnx")
    ResponseEntity<StreamingResponseBody> onnx(@PathVariable long id) {
        Located model = artefact(id, ArtefactKind.MODEL, "the merged model");
        List<String> names = taskLabels(jobs.spec(id));
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment()
                                .filename("job-" + id + "-model.onnx")
                                .build()
                                .toString())
                .body(
                        out ->
                                streamAndDelete(
                                        models.convertJobModel(
                                                id,
                                                model.sha256(),
                                                ".onnx",
                                                (merged, file) -> {
                                                    Map<String, String> props =
                                                            new LinkedHashMap<>(merged.metadata());
                                                    props.put("job", Long.toString(id));
                                                    props.put("model_sha256", model.sha256());
                                                    if (!names.isEmpty()) {
                                                        props.put(
                                                                "label_names",
                                                                new Gson().toJson(names));
                                                    }
                                                    OnnxExport.write(
                                                            merged,
                                                            architecture(merged, id),
                                                            props,
                                                            file);
                                                }),
                                        out));
    }

    /**
     * The merged model as a transformers {@code ViTForImageClassification} folder, zipped ({@link
     * TransformersVit}): {@code model.safetensors} in transformers' names, {@code config.json} with
     * the task's class names and {@code preprocessor_config.json}; made in the cache folder as
     * {@link #onnx} is, streamed, and deleted.
     */
    @GetMapping("/{id}/transformers")
    ResponseEntity<StreamingResponseBody> transformers(@PathVariable long id) {
        Located model = artefact(id, ArtefactKind.MODEL, "the merged model");
        List<String> names = taskLabels(jobs.spec(id));
        String folder = "job-" + id + "-transformers";
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/zip"))
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment()
                                .filename(folder + ".zip")
                                .build()
                                .toString())
                .body(
                        out ->
                                streamAndDelete(
                                        models.convertJobModel(
                                                id,
                                                model.sha256(),
                                                ".zip",
                                                (merged, file) ->
                                                        models.withScratchFolder(
                                                                dir ->
                                                                        zipTransformers(
                                                                                merged, id, names,
                                                                                folder, dir,
                                                                                file))),
                                        out));
    }

    /**
     * Writes the transformers folder of {@code merged} into {@code dir}, then zips it into {@code
     * file} under {@code folder}, each entry dated as a model bundle's ({@link ModelBundle#entry}),
     * so the same job gives the same bytes at every download.
     */
    private static void zipTransformers(
            Checkpoint merged, long id, List<String> names, String folder, Path dir, Path file)
            throws IOException {
        VitArchitecture arch = architecture(merged, id);
        TransformersVit.write(
                merged, arch, names.size() == arch.numClasses() ? names : List.of(), dir);
        try (ZipOutputStream zip =
                new ZipOutputStream(Files.newOutputStream(file), StandardCharsets.UTF_8)) {
            for (String name :
                    List.of(
                            TransformersVit.CONFIG,
                            TransformersVit.PREPROCESSOR,
                            TransformersVit.WEIGHTS)) {
                zip.putNextEntry(ModelBundle.entry(folder + "/" + name));
                Files.copy(dir.resolve(name), zip);
                zip.closeEntry();
            }
        }
    }

    private List<String> taskLabels(JobSpec spec) {
        return taskLabels(roots, spec);
    }

    /** The job's task's class names in label order, or none when the task is gone or names none. */
    static List<String> taskLabels(Roots roots, JobSpec spec) {
        try {
            return Vtab1k.classNames(roots.task(spec.data()));
        } catch (RuntimeException e) {
            return List.of(); // the task is gone: labels 0 to n-1
        }
    }

    private static VitArchitecture architecture(Checkpoint merged, long id) {
        return VitArchitecture.fromMetadata(merged.metadata(), "job " + id + "'s model");
    }

    /**
     * Streams a converted file to the client, then deletes it, whether the client read it all or
     * not.
     */
    private static void streamAndDelete(Path file, OutputStream out) throws IOException {
        try {
            Files.copy(file, out);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * The LoRA baseline the job trained beside its search (spec field {@code baseline}), merged: a
     * plain model.
     */
    @GetMapping("/{id}/baseline-model")
    ResponseEntity<StreamingResponseBody> baselineModel(@PathVariable long id) {
        job(id);
        if (!jobs.spec(id).baseline().lora()) {
            throw new ApiExceptions.NoSuchResult(
                    "job "
                            + id
                            + " trains no baseline: submit a job with"
                            + " \"baseline\": {\"lora\": true} to have one");
        }
        Located artefact = artefact(id, ArtefactKind.BASELINE_MODEL, "the LoRA baseline");
        return download(
                artefact,
                MediaType.APPLICATION_OCTET_STREAM,
                "job-" + id + "-baseline-lora.safetensors");
    }

    /**
     * The trained supernet: {@code glora search --supernet} searches it again, e.g. at another
     * limit.
     */
    @GetMapping("/{id}/supernet")
    ResponseEntity<StreamingResponseBody> supernet(@PathVariable long id) {
        Located artefact = artefact(id, ArtefactKind.SUPERNET, "the trained supernet");
        return download(
                artefact,
                MediaType.APPLICATION_OCTET_STREAM,
                "job-" + id + "-supernet.safetensors");
    }

    /**
     * Deletes a finished job and everything it produced; a job still running is refused with 409
     * (cancel it first).
     */
    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable long id) {
        switch (jobs.delete(id)) {
            case NOT_FOUND -> throw new ApiExceptions.JobNotFound(id);
            case NOT_FINISHED ->
                    throw new ApiExceptions.StillRunning(
                            "job "
                                    + id
                                    + " is "
                                    + job(id).status()
                                    + ": only a finished job can be deleted; cancel it first");
            default -> {
                fronts.remove(id);
                return ResponseEntity.noContent().build();
            }
        }
    }

    @PostMapping("/{id}/cancel")
    JobResponse cancel(@PathVariable long id) {
        job(id);
        jobs.cancel(id);
        return JobResponse.of(job(id), json);
    }

    private JobView job(long id) {
        return jobs.find(id).orElseThrow(() -> new ApiExceptions.JobNotFound(id));
    }

    /** An artefact's size and digest, and where its content is. */
    private record Located(long jobId, ArtefactKind kind, long size, String sha256) {}

    private Located artefact(long id, ArtefactKind kind, String what) {
        JobView job = job(id);
        Artefact info =
                results.artefactInfo(id, kind)
                        .orElseThrow(
                                () ->
                                        new ApiExceptions.NotReady(
                                                "job "
                                                        + id
                                                        + " is "
                                                        + job.status()
                                                        + ": "
                                                        + what
                                                        + " exists once it has SUCCEEDED"));
        return new Located(id, kind, info.size(), info.sha256());
    }

    /** Bytes read from the database per chunk of a download. */
    private static final int DOWNLOAD_CHUNK = 4 << 20;

    /** Streams an artefact from the database a chunk at a time: no download is held whole. */
    private ResponseEntity<StreamingResponseBody> download(
            Located artefact, MediaType type, String filename) {
        return ResponseEntity.ok()
                .contentType(type)
                .contentLength(artefact.size())
                .eTag("\"" + artefact.sha256() + "\"")
                .header(
                        "Digest",
                        "sha-256="
                                + Base64.getEncoder()
                                        .encodeToString(HexFormat.of().parseHex(artefact.sha256())))
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment().filename(filename).build().toString())
                .body(
                        out ->
                                results.copyArtefact(
                                        artefact.jobId(),
                                        artefact.kind(),
                                        artefact.size(),
                                        DOWNLOAD_CHUNK,
                                        out));
    }
}
