/**
 * The {@code glora} command-line program ({@code bin/glora}): one picocli subcommand per task.
 * Errors of the {@link GloraException} family are printed as one line naming what and where, with
 * exit status 2; they never print a stack trace.
 */
package dev.glora.cli;

import dev.glora.supernet.GloraException;
