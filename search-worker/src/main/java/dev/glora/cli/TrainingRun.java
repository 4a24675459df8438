package dev.glora.cli;

import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.train.Retraining;
import dev.glora.supernet.train.TrainSettings;
import dev.glora.supernet.train.Trainer;
import dev.glora.supernet.train.TrainingListener;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * One training command's life: refuse to overwrite a finished output, train (resuming from {@code
 * <out>.resume} when an interrupted run left one), write the output, remove the resume point.
 */
final class TrainingRun {

    private TrainingRun() {}

    /**
     * @param out the output checkpoint
     * @return its resume point
     */
    static Path resumeFile(Path out) {
        return out.resolveSibling(out.getFileName() + ".resume");
    }

    /**
     * @param out the output checkpoint
     * @throws GloraException if it exists and no resume point says it is unfinished
     */
    static void checkOutput(Path out) {
        if (Files.exists(out) && !Files.exists(resumeFile(out))) {
            throw new GloraException(
                    out
                            + " already exists and holds a finished run; delete it or choose another --out");
        }
    }

    /**
     * @param settings hyper-parameters
     * @param trainee what is trained
     * @param train training set
     * @param val validation set
     * @param out output checkpoint (its resume point sits beside it)
     * @param identity what must match for a resume point to belong to this run
     * @param progress where progress goes
     * @param result builds the output once training is done, from the history
     * @return the history
     */
    static List<EpochResult> train(
            TrainSettings settings,
            Trainer.Trainee trainee,
            ImageDataset train,
            ImageDataset val,
            Path out,
            String identity,
            PrintWriter progress,
            Function<List<EpochResult>, Checkpoint> result) {
        return run(
                settings,
                out,
                progress,
                bar ->
                        new Trainer(settings, bar)
                                .fit(trainee, train, val, resumeFile(out), identity),
                result);
    }

    /**
     * As {@link #train}, for a stage that runs its own {@link Trainer} (e.g. {@link Retraining})
     * against {@code resumeFile(out)}.
     *
     * @param settings hyper-parameters (for the progress bar's epochs)
     * @param out output checkpoint
     * @param progress where progress goes
     * @param fit trains, reporting to the listener it is given
     * @param result builds the output from what {@code fit} returned
     * @param <R> what {@code fit} returns
     * @return what {@code fit} returned
     */
    static <R> R run(
            TrainSettings settings,
            Path out,
            PrintWriter progress,
            Function<TrainingListener, R> fit,
            Function<R, Checkpoint> result) {
        checkOutput(out);
        try {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new GloraException(out + ": cannot create its folder: " + e.getMessage(), e);
        }
        ProgressBar bar = new ProgressBar(progress, settings.epochs(), System.console() != null);
        R trained = fit.apply(bar);
        Safetensors.write(result.apply(trained), out);
        try {
            Files.deleteIfExists(resumeFile(out));
        } catch (IOException e) {
            progress.println(
                    "warning: could not remove " + resumeFile(out) + ": " + e.getMessage());
        }
        return trained;
    }
}
