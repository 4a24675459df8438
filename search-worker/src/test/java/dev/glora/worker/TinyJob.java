package dev.glora.worker;

import com.google.gson.Gson;
import dev.glora.cli.Glora;
import dev.glora.jobs.ArtefactKind;
import dev.glora.jobs.JobRequest;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.Roots;
import dev.glora.jobs.Stores;
import dev.glora.search.GenerationStats;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.data.Image;
import dev.glora.supernet.data.ImageCodec;
import dev.glora.supernet.vit.VitInit;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A job small enough for a test: a tiny random ViT and a task of 8x8 grey images. */
public final class TinyJob {

    /** The backbone's path under the model root. */
    public static final String BACKBONE = "tiny-vit.safetensors";

    /** The task's path under the data root. */
    public static final String TASK = "tiny-task";

    private TinyJob() {}

    /**
     * @param dir an empty folder
     * @return roots holding the backbone and the task
     * @throws IOException if they cannot be written
     */
    public static Roots write(Path dir) throws IOException {
        Path models = Files.createDirectories(dir.resolve("models"));
        Path data = Files.createDirectories(dir.resolve("data"));
        Safetensors.write(VitInit.random(TinyModels.tinyArch(), 0), models.resolve(BACKBONE));
        writeTask(data.resolve(TASK), 2, 24, 12);
        return new Roots(models, data);
    }

    /**
     * @param seed the job's seed
     * @param generations its generations
     * @param population candidates per generation
     * @return a spec that trains for 4 epochs and searches ranks 4 and 2
     */
    public static JobSpec spec(long seed, int generations, int population) {
        return new JobRequest(
                        "tiny",
                        BACKBONE,
                        TASK,
                        new JobRequest.Supernet(4, List.of(4, 2), 4, 8, 1e-2, 1e-4, 0),
                        new JobRequest.Search(
                                population,
                                generations,
                                4,
                                population / 3,
                                population / 3,
                                0.2,
                                -1L,
                                0L,
                                SearchSettings.Objective.ACCURACY),
                        seed)
                .withDefaults();
    }

    /**
     * @param name the worker's name
     * @param roots where paths resolve
     * @param cache its cache folder
     * @return settings with short heartbeats, for tests
     */
    public static WorkerSettings settings(String name, Roots roots, Path cache) {
        return new WorkerSettings(
                name, 2, roots, cache, Duration.ofMillis(200), Duration.ofMillis(200), 3, 200);
    }

    /**
     * A VTAB-1K folder of 8x8 grey PNGs in {@code classes} brightness classes.
     *
     * @param task the folder
     * @param classes classes
     * @param train images in train800
     * @param other images in val200 and in test (train800val200 lists train800 and val200)
     * @throws IOException if it cannot be written
     */
    public static void writeTask(Path task, int classes, int train, int other) throws IOException {
        SplittableRandom random = new SplittableRandom(4);
        List<String> all = new ArrayList<>();
        for (String split : List.of("train800", "val200", "test")) {
            Path images = task.resolve("images").resolve(split);
            Files.createDirectories(images);
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < (split.equals("train800") ? train : other); i++) {
                int label = i % classes;
                Image image = Image.blankGrey(8, 8);
                for (int p = 0; p < 64; p++) {
                    image.set(
                            0,
                            p / 8,
                            p % 8,
                            30 + 150 * label / Math.max(1, classes - 1) + random.nextInt(40));
                }
                ImageCodec.writePng(image, images.resolve(i + ".png"));
                lines.add("images/" + split + "/" + i + ".png " + label);
            }
            Files.write(task.resolve(split + ".txt"), lines);
            if (!split.equals("test")) {
                all.addAll(lines);
            }
        }
        Files.write(task.resolve("train800val200.txt"), all);
    }

    /**
     * Runs {@code glora search} (in this JVM) on the supernet a job trained, with the job's search
     * settings and seed: what the job's search must equal exactly, whatever happened to the job on
     * the way.
     *
     * @param stores where the job's supernet is stored
     * @param job the job, with its supernet trained
     * @param spec its spec, with defaults
     * @param roots the roots its paths resolve under
     * @param dir a folder for the supernet and the results
     * @return the search's generations, wall times zeroed
     * @throws IOException if the files cannot be written or read
     */
    public static List<GenerationStats> cliSearch(
            Stores stores, long job, JobSpec spec, Roots roots, Path dir) throws IOException {
        Path supernet = dir.resolve("job-" + job + ".supernet.safetensors");
        Files.write(
                supernet,
                stores.results().artefact(job, ArtefactKind.SUPERNET).orElseThrow().content());
        Path out = dir.resolve("job-" + job + "-cli-search");
        JobSpec.Search search = spec.search();
        StringWriter err = new StringWriter();
        int status =
                Glora.run(
                        new String[] {
                            "search",
                            "--supernet",
                            supernet.toString(),
                            "--task",
                            roots.data().resolve(spec.data()).toString(),
                            "--out",
                            out.toString(),
                            "--population",
                            String.valueOf(search.population()),
                            "--generations",
                            String.valueOf(search.generations()),
                            "--top-k",
                            String.valueOf(search.topK()),
                            "--mutations",
                            String.valueOf(search.mutations()),
                            "--crossovers",
                            String.valueOf(search.crossovers()),
                            "--mutation-prob",
                            String.valueOf(search.mutationProbability()),
                            "--max-params",
                            String.valueOf(search.maxParams()),
                            "--min-params",
                            String.valueOf(search.minParams()),
                            "--objective",
                            search.objective().label(),
                            "--seed",
                            String.valueOf(spec.seed())
                        },
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(err));
        if (status != 0) {
            throw new AssertionError("glora search failed: " + err);
        }
        return Files.readAllLines(out.resolve("generations.jsonl")).stream()
                .map(
                        line ->
                                ServiceJobTest.timeless(
                                        new Gson().fromJson(line, GenerationStats.class)))
                .toList();
    }
}
