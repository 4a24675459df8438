package dev.glora.api.jobs;

import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.Catalog;
import dev.glora.jobs.JobException;
import dev.glora.jobs.JobStore;
import dev.glora.jobs.ModelLibrary;
import dev.glora.jobs.Predictor;
import dev.glora.jobs.ResultStore;
import dev.glora.jobs.Roots;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.data.DataException;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/**
 * Tries a model on images: {@code POST /api/v1/jobs/{id}/predict} (a job's merged model) and {@code
 * POST /api/v1/models/{name}/predict} (a plain model of the catalog) take one or more images as
 * {@code multipart/form-data} parts named {@code image} and answer each image's most probable
 * classes, named as the task (or the model's metadata) names them, as {@code glora predict} does.
 *
 * <p>Limits: at most {@value #MAX_IMAGES} images per request, each at most {@value
 * #MAX_IMAGE_BYTES} bytes, {@link Image#MAX_PIXELS} pixels together (each checked from its header
 * before decoding), the whole request at most {@link #MAX_REQUEST_BYTES} (the access filter refuses
 * a larger {@code Content-Length} before reading); a request decodes its images and predicts inside
 * {@link LoadedModels}' lock, so one request at a time holds images and a model.
 */
@RestController
public class PredictController {

    /** Images per request. */
    static final int MAX_IMAGES = 8;

    /** Bytes per image file. */
    static final long MAX_IMAGE_BYTES = 8L << 20;

    /** The largest request body: every image at its largest, and the multipart framing. */
    public static final long MAX_REQUEST_BYTES = MAX_IMAGES * MAX_IMAGE_BYTES + (1L << 20);

    private final JobStore jobs;
    private final ResultStore results;
    private final Roots roots;
    private final LoadedModels models;

    PredictController(JobStore jobs, ResultStore results, Roots roots, LoadedModels models) {
        this.jobs = jobs;
        this.results = results;
        this.roots = roots;
        this.models = models;
    }

    /**
     * One image's answer.
     *
     * @param image the part's file name
     * @param top its most probable classes, most probable first
     */
    record Prediction(String image, List<Predictor.Ranked> top) {}

    /**
     * The answer.
     *
     * @param model what was asked: {@code job 12} or the catalog name
     * @param predictions one per image, in the order sent
     */
    record Predictions(String model, List<Prediction> predictions) {}

    @PostMapping(value = "/api/v1/jobs/{id}/predict", consumes = "multipart/form-data")
    Predictions job(
            @PathVariable long id,
            @RequestParam("image") List<MultipartFile> files,
            @RequestParam(defaultValue = "5") int top)
            throws IOException {
        check(files, top);
        if (jobs.find(id).isEmpty()) {
            throw new ApiExceptions.JobNotFound(id);
        }
        var stored =
                results.artefactInfo(id, ArtefactKind.MODEL)
                        .orElseThrow(
                                () ->
                                        new ApiExceptions.NotReady(
                                                "job "
                                                        + id
                                                        + " has no merged model yet: predictions need a job that SUCCEEDED"));
        List<String> taskNames = JobController.taskLabels(roots, jobs.spec(id));
        return models.useJobModel(
                id,
                stored.sha256(),
                model ->
                        answer(
                                "job " + id,
                                model,
                                files,
                                taskNames.isEmpty() ? Predictor.classNames(model) : taskNames,
                                top));
    }

    @PostMapping(value = "/api/v1/models/{*path}", consumes = "multipart/form-data")
    Predictions model(
            @PathVariable String path,
            @RequestParam("image") List<MultipartFile> files,
            @RequestParam(defaultValue = "5") int top)
            throws IOException {
        String suffix = "/predict";
        if (!path.endsWith(suffix) || path.length() <= suffix.length() + 1) {
            throw new ApiExceptions.NoSuchResult(
                    "POST /api/v1/models"
                            + path
                            + ": the only action on a model is"
                            + " /api/v1/models/{name}/predict");
        }
        String name = path.substring(1, path.length() - suffix.length());
        check(files, top);
        Path file;
        try {
            file = roots.backbone(name);
        } catch (JobException e) {
            throw new ApiExceptions.NoSuchResult("no model '" + name + "' in the catalog");
        }
        Catalog.Model entry = Catalog.model(roots.models(), file);
        if (entry.kind() != Catalog.Kind.PLAIN) {
            throw new GloraException(
                    "'"
                            + name
                            + "' is "
                            + (entry.kind() == Catalog.Kind.SUPERNET
                                    ? "a supernet: it predicts only with a configuration; try a job's merged model"
                                    : "not usable: " + entry.error()));
        }
        return models.useModelFile(
                roots.models(),
                file,
                model -> answer(name, model, files, Predictor.classNames(model), top));
    }

    /**
     * Decodes the images and ranks them; runs inside the model's lock, so one request at a time
     * holds both.
     */
    private static Predictions answer(
            String what, Checkpoint model, List<MultipartFile> files, List<String> names, int top) {
        List<Image> images = decode(files);
        List<List<Predictor.Ranked>> ranked = Predictor.top(model, images, names, top);
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < ranked.size(); i++) {
            predictions.add(new Prediction(label(files.get(i), i), ranked.get(i)));
        }
        return new Predictions(what, predictions);
    }

    /** Checks the request's shape before anything is read or loaded. */
    private static void check(List<MultipartFile> files, int top) {
        if (top < 1 || top > 1000) {
            throw new ModelLibrary.UploadException(
                    ModelLibrary.Refusal.INVALID, "top", "top must be 1 to 1000, got " + top);
        }
        if (files.isEmpty() || files.size() > MAX_IMAGES) {
            throw new ModelLibrary.UploadException(
                    ModelLibrary.Refusal.INVALID,
                    "image",
                    "send 1 to "
                            + MAX_IMAGES
                            + " images as multipart parts named 'image', got "
                            + files.size());
        }
        for (int i = 0; i < files.size(); i++) {
            if (files.get(i).getSize() > MAX_IMAGE_BYTES) {
                throw new ModelLibrary.UploadException(
                        ModelLibrary.Refusal.TOO_LARGE,
                        "image",
                        label(files.get(i), i)
                                + ": "
                                + files.get(i).getSize()
                                + " bytes, more than the "
                                + MAX_IMAGE_BYTES
                                + " an image may have here");
            }
        }
    }

    /**
     * Decodes each image within the process's decoding budget, and their pixels together within one
     * image's.
     */
    private static List<Image> decode(List<MultipartFile> files) {
        List<Image> images = new ArrayList<>();
        long pixels = 0;
        for (int i = 0; i < files.size(); i++) {
            MultipartFile file = files.get(i);
            Image image;
            try {
                image = ImageCodec.read(file.getBytes(), label(file, i));
            } catch (DataException e) {
                throw new ModelLibrary.UploadException(
                        ModelLibrary.Refusal.UNUSABLE, "image", e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            pixels += (long) image.height() * image.width();
            if (pixels > Image.MAX_PIXELS) {
                throw new ModelLibrary.UploadException(
                        ModelLibrary.Refusal.TOO_LARGE,
                        "image",
                        "the images have more"
                                + " than "
                                + Image.MAX_PIXELS
                                + " pixels together; send fewer or smaller ones");
            }
            images.add(image);
        }
        return images;
    }

    private static String label(MultipartFile file, int i) {
        String name = file.getOriginalFilename();
        return name == null || name.isBlank()
                ? "image " + (i + 1)
                : name.replaceAll("[\\x00-\\x1f]", "_");
    }
}
