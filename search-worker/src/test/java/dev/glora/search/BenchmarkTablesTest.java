package dev.glora.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every table that a script makes from committed raw rows stands in BENCHMARKS.md exactly as the
 * script prints it today: a raw row changed, or a table edited by hand, fails here.
 */
@Timeout(120)
class BenchmarkTablesTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @ParameterizedTest
    @ValueSource(
            strings = {
                "bin/exp-finalists-table",
                "bin/exp-fresh-table",
                "bin/exp-seed-spread-table",
                "bin/exp-recipe-table",
                "bin/exp-size-table",
                "awk -F\\t -f bin/bench-table.awk benchmarks/fmnist-vtab-results.tsv"
            })
    void theScriptsTablesStandInBenchmarksAsPrinted(String command) throws Exception {
        List<String> argv = List.of(command.split(" "));
        assumeTrue(onPath(argv.get(0).startsWith("bin/") ? "python3" : argv.get(0)));
        Process process =
                new ProcessBuilder(argv)
                        .directory(ROOT.toFile())
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
        String printed =
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), command);
        List<String> document = Files.readAllLines(ROOT.resolve("BENCHMARKS.md"));
        List<List<String>> tables = tables(printed.lines().toList());
        assertFalse(tables.isEmpty(), command + " printed no table");
        for (List<String> table : tables) {
            assertTrue(
                    standsIn(document, table),
                    command
                            + "'s table headed\n"
                            + table.get(0)
                            + "\nis not in BENCHMARKS.md as printed; its first line that differs"
                            + " or is missing: "
                            + firstMissing(document, table));
        }
    }

    /** The runs of consecutive lines that start with {@code |}. */
    private static List<List<String>> tables(List<String> lines) {
        List<List<String>> tables = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String line : lines) {
            if (line.stripLeading().startsWith("|")) {
                current.add(line.strip());
            } else if (!current.isEmpty()) {
                tables.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            tables.add(current);
        }
        return tables;
    }

    /** Whether one of the document's tables equals this one, line for line and no longer. */
    private static boolean standsIn(List<String> document, List<String> table) {
        for (List<String> candidate : tables(document)) {
            if (candidate.equals(table)) {
                return true;
            }
        }
        return false;
    }

    private static String firstMissing(List<String> document, List<String> table) {
        List<String> stripped = document.stream().map(String::strip).toList();
        return table.stream().filter(line -> !stripped.contains(line)).findFirst().orElse("none");
    }

    private static boolean onPath(String program) throws IOException {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + program)
                            .redirectErrorStream(true)
                            .start()
                            .waitFor()
                    == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
