package dev.glora.api.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glora.db.DatabaseException;
import dev.glora.jobs.JobException;
import dev.glora.jobs.Roots;
import java.nio.file.Path;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/** Errors are told apart by their type: the database failing is a 503, not the caller's fault. */
class ProblemAdviceTest {

    @Test
    void aDatabaseFailureIsA503WithRetryAfterAndAUserErrorA400() {
        ProblemAdvice advice =
                new ProblemAdvice(new Roots(Path.of("/srv/models"), Path.of("/srv/data")));
        ResponseEntity<ProblemDetail> down =
                advice.unavailable(
                        new DatabaseException(
                                "reading job 3: Connection" + " refused",
                                new SQLException("Connection refused", "08001")));
        assertEquals(503, down.getStatusCode().value());
        assertEquals(
                String.valueOf(ProblemAdvice.RETRY_AFTER_S),
                down.getHeaders().getFirst("Retry-After"));
        assertTrue(down.getBody().getDetail().contains("try again"), down.getBody().getDetail());
        assertTrue(new DatabaseException("x", new SQLException("gone", "57P01")).isTransient());
        assertTrue(
                !new DatabaseException("x", new SQLException("syntax", "42601")).isTransient(),
                "a wrong statement is not transient");
        assertEquals(400, advice.rejected(new JobException("backbone", "bad path")).getStatus());
        // issue 31: no server paths, no Java class names
        assertEquals(
                "backbone: vit.safetensors: cannot read: Is a directory",
                advice.rejected(
                                new JobException(
                                        "backbone",
                                        "/srv/models/vit.safetensors: cannot read: java.io.IOException: Is a directory"))
                        .getDetail());
    }
}
