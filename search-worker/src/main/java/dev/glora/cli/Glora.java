package dev.glora.cli;

import dev.glora.supernet.GloraException;
import dev.glora.supernet.checkpoint.Provenance;
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
        CommandLine cli = new CommandLine(new Glora());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(
                (e, line, parsed) -> {
                    if (e instanceof GloraException) {
                        line.getErr().println("glora: error: " + e.getMessage());
                        return INPUT_ERROR;
                    }
                    if (e instanceof dev.glora.db.DatabaseException) {
                        line.getErr().println("glora: database error: " + e.getMessage());
                        return DATABASE_ERROR;
                    }
                    throw e;
                });
        return cli.execute(args);
    }

    /** Reports the code version recorded in the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"glora " + Provenance.codeVersion()};
        }
    }
}
