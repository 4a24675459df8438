package dev.glora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.glora.jobs.JobSpec;
import dev.glora.supernet.train.TrainSettings;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line and a job's spec take every default from the same place and apply the same rules. */
class DefaultsTest {

    @Test
    void aShortTrainingWarmsUpAsLongOnTheCommandLineAsInAJob() {
        TrainSupernetCommand command = new TrainSupernetCommand();
        new CommandLine(command).parseArgs("--backbone", "b", "--task", "t", "--out", "o", "--epochs", "5");
        TrainSettings cli = command.training.settings(TrainSettings.reference(TrainSettings.REFERENCE_EPOCHS, 0));
        JobSpec job = new JobSpec("n", "b", "t", new JobSpec.Supernet(null, null, 5, null, null, null, null),
                null, 0L).withDefaults();
        assertEquals(4, cli.warmupEpochs(), "warm-up below the 5 epochs");
        assertEquals(cli.warmupEpochs(), job.supernet().warmupEpochs());
        assertEquals(cli.epochs(), job.supernet().epochs());
        assertEquals(cli.lr(), job.supernet().lr());
        assertEquals(cli.batchSize(), job.supernet().batchSize());
        assertEquals(command.training.threads(), job.supernet().threads(), "threads: every core");

        TrainSupernetCommand plain = new TrainSupernetCommand();
        new CommandLine(plain).parseArgs("--backbone", "b", "--task", "t", "--out", "o");
        JobSpec defaults = new JobSpec("n", "b", "t", null, null, 0L).withDefaults();
        assertEquals(plain.training.settings(TrainSettings.reference(TrainSettings.REFERENCE_EPOCHS, 0)).epochs(),
                defaults.supernet().epochs());
    }

    @Test
    void theSearchDefaultsOfTheCommandLineAreAJobs() {
        CommandLine.Model.CommandSpec cli = new CommandLine(new SearchCommand()).getCommandSpec();
        JobSpec.Search job = new JobSpec("n", "b", "t", null, null, 0L).withDefaults().search();
        assertEquals(List.of(job.population(), job.generations(), job.topK(), job.mutations(), job.crossovers()),
                List.of("--population", "--generations", "--top-k", "--mutations", "--crossovers").stream()
                        .map(name -> Integer.parseInt(cli.findOption(name).defaultValue())).toList());
        assertEquals(job.mutationProbability(), Double.parseDouble(cli.findOption("--mutation-prob").defaultValue()));
        assertEquals(job.maxParams(), Long.parseLong(cli.findOption("--max-params").defaultValue()));
        assertEquals(job.minParams(), Long.parseLong(cli.findOption("--min-params").defaultValue()));
        assertEquals(job.objective(), cli.findOption("--objective").defaultValue());
        assertEquals(job.init(), cli.findOption("--init").defaultValue());
    }
}
