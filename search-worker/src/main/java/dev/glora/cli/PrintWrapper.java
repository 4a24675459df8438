package dev.glora.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/** A command's two streams: results on out, progress and warnings on err. */
record PrintWrapper(PrintWriter out, PrintWriter err) {

    /**
     * @param spec the running command
     */
    PrintWrapper(CommandSpec spec) {
        this(spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
