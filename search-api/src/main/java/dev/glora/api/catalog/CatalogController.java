package dev.glora.api.catalog;

import dev.glora.api.system.GloraProperties;
import dev.glora.jobs.Catalog;
import dev.glora.jobs.DataLibrary;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.ModelLibrary;
import dev.glora.jobs.Roots;
import dev.glora.supernet.data.DataException;
import dev.glora.supernet.data.FolderTask;
import dev.glora.supernet.importer.CheckpointImporter;
import dev.glora.supernet.vit.VitArchitecture;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The model and data catalogs: listing, upload and deletion of models and data sets. */
@RestController
class CatalogController {

    private final Roots roots;
    private final GloraProperties properties;
    private final JobStore jobs;

    CatalogController(Roots roots, GloraProperties properties, JobStore jobs) {
        this.roots = roots;
        this.properties = properties;
        this.jobs = jobs;
        // what uploads killed mid-way (a crash, a kill) left behind; one in progress is younger
        ModelLibrary.sweep(roots.models(), Duration.ofHours(1));
        ModelLibrary.sweep(roots.data(), Duration.ofHours(1));
    }

    /** Every checkpoint under the model root, with its architecture, size and provenance. */
    @GetMapping("/api/v1/models")
    List<Catalog.Model> models() {
        return Catalog.models(roots.models());
    }

    /** Every VTAB-1K task folder under the data root, with its classes and split sizes. */
    @GetMapping("/api/v1/datasets")
    List<Catalog.Dataset> datasets() {
        return Catalog.datasets(roots.data());
    }

    /** One checkpoint of {@link #models}, by its name there (the {@code Location} of an upload). */
    @GetMapping("/api/v1/models/{*name}")
    Catalog.Model model(@PathVariable String name) {
        String wanted = name.substring(1); // the captured path starts with its '/'
        // looked up in the listing, never resolved against the root: no name leads outside it
        return Catalog.models(roots.models()).stream()
                .filter(m -> m.name().equals(wanted))
                .findFirst()
                .orElseThrow(
                        () -> notFound("Model", "no model '" + wanted + "' under the model root"));
    }

    /**
     * One task folder of {@link #datasets}, by its name there (the {@code Location} of an upload).
     */
    @GetMapping("/api/v1/datasets/{*name}")
    Catalog.Dataset dataset(@PathVariable String name) {
        String wanted = name.substring(1);
        return Catalog.datasets(roots.data()).stream()
                .filter(d -> d.name().equals(wanted))
                .findFirst()
                .orElseThrow(
                        () ->
                                notFound(
                                        "Data set",
                                        "no task folder '" + wanted + "' under the data root"));
    }

    /** Deletes a checkpoint no unfinished job uses: 204, 404, or 409 naming the jobs. */
    @DeleteMapping("/api/v1/models/{*name}")
    ResponseEntity<Void> deleteModel(@PathVariable String name) {
        return delete(
                "backbone",
                "Model",
                "model",
                name.substring(1),
                n -> ModelLibrary.delete(roots.models(), n));
    }

    /** Deletes a task folder no unfinished job uses: 204, 404, or 409 naming the jobs. */
    @DeleteMapping("/api/v1/datasets/{*name}")
    ResponseEntity<Void> deleteDataset(@PathVariable String name) {
        return delete(
                "data",
                "Data set",
                "task folder",
                name.substring(1),
                n -> DataLibrary.delete(roots.data(), n));
    }

    /**
     * Refuses while a job's spec names it in {@code field}; else deletes it (false: there was
     * none).
     */
    private ResponseEntity<Void> delete(
            String field, String title, String what, String name, Predicate<String> deleter) {
        Path root = field.equals("data") ? roots.data() : roots.models();
        Path target = realOrNormal(root.resolve(name));
        // the same file however a spec spells it: ./vit.safetensors, a/../vit.safetensors, a link
        // to it
        // checked and deleted as one step: no job is submitted in between (JobStore's catalog lock)
        JobStore.CatalogDeletion deletion =
                jobs.deleteUnlessUsed(
                        field,
                        value -> realOrNormal(root.resolve(value)).equals(target),
                        () -> deleter.test(name));
        List<Long> using = deletion.using();
        if (!using.isEmpty()) {
            ProblemDetail problem =
                    ProblemDetail.forStatusAndDetail(
                            HttpStatus.CONFLICT,
                            "the "
                                    + what
                                    + " '"
                                    + name
                                    + "' is used by unfinished job(s) "
                                    + using
                                    + ": cancel them or wait for them to end");
            problem.setTitle("In use");
            throw new ErrorResponseException(HttpStatus.CONFLICT, problem, null);
        }
        if (deletion.deleted()) {
            return ResponseEntity.noContent().build();
        }
        throw notFound(
                title,
                "no "
                        + what
                        + " '"
                        + name
                        + "' under the "
                        + (field.equals("data") ? "data" : "model")
                        + " root");
    }

    private static Path realOrNormal(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException | SecurityException e) {
            return path.toAbsolutePath().normalize();
        }
    }

    /** A 404 problem reply, titled and detailed, rendered as every other problem reply is. */
    private static ErrorResponseException notFound(String what, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, detail);
        problem.setTitle(what + " not found");
        return new ErrorResponseException(HttpStatus.NOT_FOUND, problem, null);
    }

    /**
     * Uploads a checkpoint: the body is the file's bytes (a timm-named safetensors or a Google ViT
     * .npz), streamed to disk, imported and validated before it appears under {@code name}.
     */
    @PostMapping("/api/v1/models")
    ResponseEntity<Catalog.Model> upload(
            @RequestParam String name,
            @RequestParam(required = false) String arch,
            @RequestParam(required = false) Integer numHeads,
            @RequestParam(required = false) String mean,
            @RequestParam(required = false) String std,
            @RequestParam(required = false) Integer imgSize,
            HttpServletRequest request)
            throws IOException {
        ModelLibrary.fileName(name);
        CheckpointImporter.Options options =
                new CheckpointImporter.Options(
                        blankToNull(arch),
                        numHeads,
                        floats("mean", mean),
                        floats("std", std),
                        imgSize);
        Catalog.Model model =
                ModelLibrary.add(
                        roots.models(),
                        name,
                        request.getInputStream(),
                        properties.maxUploadBytes(),
                        options);
        return ResponseEntity.created(URI.create("/api/v1/models/" + model.name())).body(model);
    }

    /**
     * Uploads a data set: the body is a zip archive of image folders ({@code train/} with one
     * sub-folder per class, optionally {@code val/} and {@code test/}), streamed to disk, unpacked
     * and made into a VTAB-1K task folder ({@code glora data folders}) before it appears under
     * {@code name}.
     */
    @PostMapping("/api/v1/datasets")
    ResponseEntity<Catalog.Dataset> uploadDataset(
            @RequestParam String name,
            @RequestParam(defaultValue = "0") long seed,
            @RequestParam(defaultValue = "800") int trainSize,
            @RequestParam(defaultValue = "200") int valSize,
            @RequestParam(defaultValue = "0") int largeVal,
            @RequestParam(defaultValue = "0") int testSize,
            HttpServletRequest request)
            throws IOException {
        DataLibrary.folderName(name);
        FolderTask.Sizes sizes;
        try {
            sizes = new FolderTask.Sizes(trainSize, valSize, largeVal, testSize);
        } catch (DataException e) {
            throw new ModelLibrary.UploadException(
                    ModelLibrary.Refusal.INVALID, "trainSize", e.getMessage());
        }
        Catalog.Dataset dataset =
                DataLibrary.add(
                        roots.data(),
                        name,
                        request.getInputStream(),
                        properties.maxUploadBytes(),
                        seed,
                        sizes);
        return ResponseEntity.created(URI.create("/api/v1/datasets/" + dataset.name()))
                .body(dataset);
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    private static float[] floats(String field, String text) {
        if (blankToNull(text) == null) {
            return null;
        }
        try {
            return VitArchitecture.floats(text);
        } catch (NumberFormatException e) {
            throw new ModelLibrary.UploadException(
                    ModelLibrary.Refusal.INVALID,
                    field,
                    "'" + text + "' is not a comma-separated list of numbers");
        }
    }
}
