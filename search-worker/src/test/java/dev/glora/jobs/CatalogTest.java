package dev.glora.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.glora.supernet.TinyModels;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.vit.VitInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 31: listing the models parses each file's header once per version of the file. */
class CatalogTest {

    @TempDir Path root;

    @Test
    void aHeaderIsParsedOncePerVersionOfItsFile() throws Exception {
        Path file = root.resolve("tiny.safetensors");
        Safetensors.write(VitInit.random(TinyModels.tinyArch(), 0), file);
        long before = Catalog.HEADERS_READ.get();
        Catalog.Model first = Catalog.models(root).get(0);
        assertEquals(Catalog.Kind.PLAIN, first.kind());
        for (int i = 0; i < 5; i++) {
            assertEquals(first, Catalog.models(root).get(0));
        }
        assertEquals(before + 1, Catalog.HEADERS_READ.get(), "listed six times, parsed once");
        Files.setLastModifiedTime(
                file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
        Catalog.models(root);
        assertEquals(before + 2, Catalog.HEADERS_READ.get(), "a changed file is parsed again");
        Files.writeString(file, "not a checkpoint any more");
        assertEquals(
                Catalog.Kind.INVALID,
                Catalog.models(root).get(0).kind(),
                "and what it now says is what is listed");
    }
}
