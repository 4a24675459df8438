package dev.glora.cli;

import dev.glora.supernet.train.EpochResult;
import dev.glora.supernet.train.TrainingListener;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Shows a training run on the terminal: on a console, a bar redrawn in place with epoch, step,
 * loss, images/s and ETA; always, one line per finished epoch with its validation accuracy.
 */
final class ProgressBar implements TrainingListener {

    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintWriter out;
    private final boolean console;
    private int epochs;
    private int stepsPerEpoch;
    private int firstEpoch;
    private long started;
    private long lastDraw;

    /**
     * @param out where to draw
     * @param epochs epochs in the run
     * @param console whether {@code out} is a terminal (redraw in place) or a log (epoch lines
     *     only)
     */
    ProgressBar(PrintWriter out, int epochs, boolean console) {
        this.out = out;
        this.epochs = epochs;
        this.console = console;
    }

    @Override
    public void onStart(int first, List<EpochResult> history, int steps) {
        this.firstEpoch = first;
        this.stepsPerEpoch = steps;
        this.started = System.nanoTime();
        if (!history.isEmpty()) {
            out.printf("resuming after epoch %d of %d%n", history.size(), epochs);
        }
        out.flush();
    }

    @Override
    public void onStep(int epoch, int step, int steps, double loss, double imagesPerSecond) {
        long now = System.nanoTime();
        if (!console || (now - lastDraw < REDRAW_NANOS && step < steps)) {
            return;
        }
        lastDraw = now;
        long done = (long) (epoch - firstEpoch) * stepsPerEpoch + step;
        long total = (long) (epochs - firstEpoch + 1) * stepsPerEpoch;
        double eta = (now - started) / 1e9 / done * (total - done);
        int filled = (int) (WIDTH * (double) step / steps);
        out.printf(
                Locale.ROOT,
                "\repoch %d/%d [%s%s] %d/%d  loss %.4f  %.0f img/s  ETA %s   ",
                epoch,
                epochs,
                "#".repeat(filled),
                "-".repeat(WIDTH - filled),
                step,
                steps,
                loss,
                imagesPerSecond,
                duration(eta));
        out.flush();
    }

    @Override
    public void onEpoch(EpochResult result) {
        StringBuilder line =
                new StringBuilder(
                        String.format(
                                Locale.ROOT,
                                "epoch %d/%d  lr %.2e  loss %.4f",
                                result.epoch(),
                                result.epochs(),
                                result.lr(),
                                result.loss()));
        for (Map.Entry<String, Double> validation : result.validation().entrySet()) {
            line.append(
                    String.format(
                            Locale.ROOT,
                            "  val[%s] %.2f%%",
                            validation.getKey(),
                            100 * validation.getValue()));
        }
        line.append(
                String.format(
                        Locale.ROOT,
                        "  %.0f img/s  %.1f s",
                        result.imagesPerSecond(),
                        result.seconds()));
        out.print(console ? "\r" + line + " ".repeat(20) + "\n" : line + "\n");
        out.flush();
    }

    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format("%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
