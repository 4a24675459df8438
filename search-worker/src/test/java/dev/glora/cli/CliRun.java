package dev.glora.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * One run of the {@code glora} program in the test's JVM, its output captured.
 *
 * @param status the exit status
 * @param out standard output
 * @param err standard error
 */
record CliRun(int status, String out, String err) {

    /**
     * @param args the command line
     * @return what it printed and its exit status
     */
    static CliRun glora(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Glora.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(status, out.toString(), err.toString());
    }
}
