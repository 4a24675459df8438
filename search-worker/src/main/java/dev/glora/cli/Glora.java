package dev.glora.cli;

import dev.glora.db.DatabaseException;
import dev.glora.search.SearchSettings;
import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.config.Choice;
import dev.glora.supernet.eval.Racing;
import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.train.Trainees;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code glora} program: work with GLoRA supernets, configurations and merged models. */
@Command(
        name = "glora",
        mixinStandardHelpOptions = true,
        versionProvider = Glora.Version.class,
        description = "Find, inspect and export GLoRA adapters for Vision Transformers.",
        subcommands = {
            DataCommand.class,
            PretrainCommand.class,
            TrainSupernetCommand.class,
            EvaluateCommand.class,
            PredictCommand.class,
            FinetuneCommand.class,
            SearchCommand.class,
            BenchCommand.class,
            ExportCommand.class,
            ImportCommand.class,
            InspectCommand.class,
            PrecisionCommand.class,
            WorkerCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Glora {

    /** Exit status of a command that failed on bad input. */
    public static final int INPUT_ERROR = 2;

    /** Exit status of a command that failed because the database failed. */
    public static final int DATABASE_ERROR = 3;

    private Glora() {}

    /**
     * @param args the command line; none runs {@code worker}, configured from the environment (the
     *     search-worker jar's default, for containers)
     */
    public static void main(String[] args) {
        System.exit(
                run(
                        args.length == 0 ? new String[] {"worker"} : args,
                        new PrintWriter(System.out, true),
                        new PrintWriter(System.err, true)));
    }

    /**
     * Runs one command line.
     *
     * @param args the command line
     * @param out where results go
     * @param err where errors go
     * @return the exit status
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = commandLine(new Glora());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(
                (e, line, parsed) -> {
                    if (e instanceof GloraException) {
                        line.getErr().println("glora: error: " + e.getMessage());
                        return INPUT_ERROR;
                    }
                    if (e instanceof DatabaseException) {
                        line.getErr().println("glora: database error: " + e.getMessage());
                        return DATABASE_ERROR;
                    }
                    throw e;
                });
        return cli.execute(args);
    }

    /**
     * @param command {@code glora} or one of its commands
     * @return its command line, reading every option of a closed set as {@link #run} does
     */
    static CommandLine commandLine(Object command) {
        CommandLine cli = new CommandLine(command);
        choices(cli, SearchSettings.Objective.class);
        choices(cli, SearchSettings.Init.class);
        choices(cli, SearchSettings.Seeds.class);
        choices(cli, SubnetScorer.Precision.class);
        choices(cli, Trainees.Sampling.class);
        choices(cli, Racing.Bound.class);
        return cli;
    }

    /**
     * Reads an option of a closed set by its label, any case, as a job's spec does ({@link
     * Choice#parse}): a wrong one is refused naming the allowed values.
     */
    private static <E extends Enum<E> & Choice> void choices(CommandLine cli, Class<E> type) {
        cli.registerConverter(
                type,
                text -> {
                    try {
                        return Choice.parse(type, text);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.TypeConversionException(e.getMessage());
                    }
                });
    }

    /** Reports the code version recorded in the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"glora " + Provenance.codeVersion()};
        }
    }
}
