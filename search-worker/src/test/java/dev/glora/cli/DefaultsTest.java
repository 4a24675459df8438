package dev.glora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.jobs.JobRequest;
import dev.glora.jobs.JobSpec;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.InvalidSettingsException;
import dev.glora.supernet.train.TrainSettings;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The command line and a job's spec take every default from the same place and apply the same
 * rules.
 */
class DefaultsTest {

    @Test
    void aShortTrainingWarmsUpAsLongOnTheCommandLineAsInAJob() {
        TrainSupernetCommand command = new TrainSupernetCommand();
        Glora.commandLine(command)
                .parseArgs("--backbone", "b", "--task", "t", "--out", "o", "--epochs", "5");
        TrainSettings cli =
                command.training.settings(
                        TrainSettings.supernetDefaults(TrainSettings.DEFAULT_SUPERNET_EPOCHS, 0));
        JobSpec job =
                new JobRequest(
                                "n",
                                "b",
                                "t",
                                new JobRequest.Supernet(null, null, 5, null, null, null, null),
                                null,
                                0L)
                        .withDefaults();
        assertEquals(3, cli.warmupEpochs(), "the default warm-up, below the 5 epochs");
        assertEquals(cli.warmupEpochs(), job.supernet().warmupEpochs());
        assertEquals(cli.epochs(), job.supernet().epochs());
        assertEquals(cli.lr(), job.supernet().lr());
        assertEquals(cli.batchSize(), job.supernet().batchSize());
        assertEquals(command.training.threads(), job.supernet().threads(), "threads: every core");

        TrainSupernetCommand plain = new TrainSupernetCommand();
        Glora.commandLine(plain).parseArgs("--backbone", "b", "--task", "t", "--out", "o");
        JobSpec defaults = new JobRequest("n", "b", "t", null, null, 0L).withDefaults();
        TrainSettings plainCli =
                plain.training.settings(
                        TrainSettings.supernetDefaults(TrainSettings.DEFAULT_SUPERNET_EPOCHS, 0));
        assertEquals(plainCli.epochs(), defaults.supernet().epochs());
        assertEquals(
                30,
                defaults.supernet().epochs(),
                "not the reference's 500, and most of the budget retrains");
        assertEquals(
                100,
                defaults.retrain().epochs(),
                "the chosen subnet is retrained by default (issue 30)");
        assertEquals("train800val200", defaults.retrainList());
        assertEquals(3, defaults.retrain().warmupEpochs());
        assertEquals(1e-3, defaults.supernet().lr());
        assertEquals(plainCli.lr(), defaults.supernet().lr());
        assertEquals(3, defaults.supernet().warmupEpochs());
    }

    @Test
    void theSearchDefaultsOfTheCommandLineAreAJobs() {
        CommandLine.Model.CommandSpec cli = Glora.commandLine(new SearchCommand()).getCommandSpec();
        JobSpec.Search job = new JobRequest("n", "b", "t", null, null, 0L).withDefaults().search();
        assertEquals(
                List.of(job.population(), job.generations(), job.topK()),
                List.of("--population", "--generations", "--top-k").stream()
                        .map(name -> Integer.parseInt(cli.findOption(name).defaultValue()))
                        .toList());
        // breeding follows the population on both sides (issue 35): half of it each
        assertEquals(null, cli.findOption("--mutations").defaultValue());
        assertEquals(null, cli.findOption("--crossovers").defaultValue());
        assertEquals(SearchSettings.offspring(job.population()), job.mutations());
        assertEquals(SearchSettings.offspring(job.population()), job.crossovers());
        assertEquals(
                job.mutationProbability(),
                Double.parseDouble(cli.findOption("--mutation-prob").defaultValue()));
        assertEquals(
                job.maxParams(), Long.parseLong(cli.findOption("--max-params").defaultValue()));
        assertEquals(
                job.minParams(), Long.parseLong(cli.findOption("--min-params").defaultValue()));
        assertEquals(job.objective().label(), cli.findOption("--objective").defaultValue());
        assertEquals(job.init().label(), cli.findOption("--init").defaultValue());
        assertEquals(job.seeds().label(), cli.findOption("--seeds").defaultValue());
        assertEquals(
                job.finalists(), Integer.parseInt(cli.findOption("--finalists").defaultValue()));
        // finalists asked for, their epochs not: the command line's default epochs
        JobSpec.Search asked =
                JobRequest.parse("{\"search\": {\"finalists\": 3}}").withDefaults().search();
        assertEquals(
                Integer.parseInt(cli.findOption("--finalist-epochs").defaultValue()),
                asked.finalistEpochs());
        assertTrue(asked.hasFinalists());
        JobSpec.Search seedsOnly =
                JobRequest.parse("{\"search\": {\"seeds\": \"known\", \"finalists\": 0}}")
                        .withDefaults()
                        .search();
        assertEquals(0, seedsOnly.finalistEpochs(), "no finalists: no epochs for them");
        assertTrue(
                !seedsOnly.hasFinalists(),
                "seeds alone open the search; the proxy's best is the choice");
    }

    @Test
    void theCommandLineAndAJobRefuseTheSameValuesInTheSameWords() {
        // a training: --lr 20 and --warmup 9 of 5 epochs, and supernet.lr 20, supernet.warmupEpochs
        // 9
        TrainSupernetCommand command = new TrainSupernetCommand();
        Glora.commandLine(command)
                .parseArgs(
                        "--backbone",
                        "b",
                        "--task",
                        "t",
                        "--out",
                        "o",
                        "--epochs",
                        "5",
                        "--lr",
                        "20",
                        "--warmup",
                        "9");
        String cli =
                Assertions.assertThrows(
                                GloraException.class,
                                () ->
                                        command.training.settings(
                                                TrainSettings.supernetDefaults(
                                                        TrainSettings.DEFAULT_SUPERNET_EPOCHS, 0)))
                        .getMessage();
        List<JobSpec.FieldError> job =
                new JobRequest(
                                "n",
                                "b",
                                "t",
                                new JobRequest.Supernet(null, null, 5, null, 20.0, null, 9),
                                null,
                                0L)
                        .withDefaults()
                        .validate();
        assertEquals(
                "--lr must be in (0, 10), got 20.0; --warmup must be in [0, epochs 5], got 9", cli);
        assertEquals(
                List.of(
                        new JobSpec.FieldError("supernet.lr", "must be in (0, 10), got 20.0"),
                        new JobSpec.FieldError(
                                "supernet.warmupEpochs", "must be in [0, epochs 5], got 9")),
                job);

        // a search: a maximum below the minimum, and more children than the population
        String search =
                Assertions.assertThrows(
                                InvalidSettingsException.class,
                                () ->
                                        new SearchSettings(
                                                10,
                                                2,
                                                2,
                                                8,
                                                8,
                                                0.2,
                                                100,
                                                500,
                                                SearchSettings.Objective.ACCURACY,
                                                0))
                        .getMessage();
        List<JobSpec.FieldError> searchJob =
                new JobRequest(
                                "n",
                                "b",
                                "t",
                                null,
                                new JobRequest.Search(10, 2, 2, 8, 8, 0.2, 100L, 500L, null),
                                0L)
                        .withDefaults()
                        .validate();
        assertEquals(
                List.of(
                        new JobSpec.FieldError(
                                "search.mutations",
                                "mutations + crossovers (16) must not exceed"
                                        + " the population (10)"),
                        new JobSpec.FieldError(
                                "search.maxParams",
                                "must be -1 (no limit) or at" + " least minParams (500), got 100")),
                searchJob);
        assertEquals(
                searchJob.stream()
                        .map(e -> e.field().substring("search.".length()) + " " + e.message())
                        .collect(Collectors.joining("; ")),
                search);
    }
}
