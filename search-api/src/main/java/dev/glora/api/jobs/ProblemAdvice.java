package dev.glora.api.jobs;

import dev.glora.db.DatabaseException;
import dev.glora.jobs.JobSpec;
import dev.glora.jobs.ModelLibrary;
import dev.glora.jobs.Roots;
import dev.glora.supernet.GloraException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/** Every error as an RFC 9457 problem document. */
@RestControllerAdvice
class ProblemAdvice extends ResponseEntityExceptionHandler {

    /** The roots' absolute and real paths, longest first: replies name files relative to them. */
    private final List<String> rootPrefixes;

    ProblemAdvice(Roots roots) {
        Set<String> prefixes =
                new TreeSet<>(
                        Comparator.comparingInt(String::length)
                                .reversed()
                                .thenComparing(Comparator.naturalOrder()));
        for (Path root : List.of(roots.models(), roots.data())) {
            prefixes.add(root.toAbsolutePath().normalize() + "/");
            try {
                prefixes.add(root.toRealPath() + "/");
            } catch (IOException | SecurityException e) {
                // a root that does not exist yet has no other spelling
            }
        }
        this.rootPrefixes = List.copyOf(prefixes);
    }

    /**
     * A Java exception's class name at the head of a cause's text, which says nothing to a client.
     */
    private static final Pattern CLASS_NAME =
            Pattern.compile("\\b(?:java|javax|jdk|sun)\\.[\\w.$]+?(?:Exception|Error)(?::\\s*)?");

    /**
     * Issue 31: a reply names files relative to the model or data root, as the client named them,
     * never by the server's absolute paths, and carries no Java class names.
     */
    String redact(String message) {
        if (message == null) {
            return null;
        }
        String redacted = message;
        for (String prefix : rootPrefixes) {
            redacted = redacted.replace(prefix, "");
        }
        return CLASS_NAME.matcher(redacted).replaceAll("");
    }

    static final URI INVALID_SPEC = URI.create("/problems/invalid-spec");

    @ExceptionHandler(ApiExceptions.JobNotFound.class)
    ProblemDetail notFound(ApiExceptions.JobNotFound e) {
        return problem(HttpStatus.NOT_FOUND, "Job not found", e.getMessage());
    }

    @ExceptionHandler(ApiExceptions.NotReady.class)
    ProblemDetail notReady(ApiExceptions.NotReady e) {
        return problem(HttpStatus.CONFLICT, "Result not ready", e.getMessage());
    }

    @ExceptionHandler(ApiExceptions.NoSuchResult.class)
    ProblemDetail noSuchResult(ApiExceptions.NoSuchResult e) {
        return problem(HttpStatus.NOT_FOUND, "No such result", e.getMessage());
    }

    @ExceptionHandler(ApiExceptions.StillRunning.class)
    ProblemDetail stillRunning(ApiExceptions.StillRunning e) {
        return problem(HttpStatus.CONFLICT, "Job still running", e.getMessage());
    }

    @ExceptionHandler(ApiExceptions.InvalidSpec.class)
    ProblemDetail invalid(ApiExceptions.InvalidSpec e) {
        return invalidSpec(
                e.errors().stream()
                        .map(f -> new JobSpec.FieldError(f.field(), redact(f.message())))
                        .toList());
    }

    @ExceptionHandler(ModelLibrary.UploadException.class)
    ProblemDetail uploadRefused(ModelLibrary.UploadException e) {
        HttpStatus status =
                switch (e.refusal()) {
                    case INVALID -> HttpStatus.BAD_REQUEST;
                    case TOO_LARGE -> HttpStatus.PAYLOAD_TOO_LARGE;
                    case CONFLICT -> HttpStatus.CONFLICT;
                    case UNUSABLE -> HttpStatus.UNPROCESSABLE_ENTITY;
                    case NO_SPACE -> HttpStatus.INSUFFICIENT_STORAGE;
                };
        ProblemDetail problem = problem(status, "Upload refused", redact(e.getMessage()));
        problem.setProperty("field", e.field());
        return problem;
    }

    /** Seconds a client should wait before trying again after a database failure. */
    static final int RETRY_AFTER_S = 5;

    /**
     * The database failing is the service's problem, not the request's: 503 with {@code
     * Retry-After}, and nothing of the request was kept.
     */
    @ExceptionHandler(DatabaseException.class)
    ResponseEntity<ProblemDetail> unavailable(DatabaseException e) {
        logger.warn("database failure answered 503: " + e.getMessage());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_S))
                .body(
                        problem(
                                HttpStatus.SERVICE_UNAVAILABLE,
                                "Database unavailable",
                                "the service's database did not"
                                        + " answer; nothing of this request was kept, try again in "
                                        + RETRY_AFTER_S
                                        + " s"));
    }

    @ExceptionHandler(GloraException.class)
    ProblemDetail rejected(GloraException e) {
        return problem(HttpStatus.BAD_REQUEST, "Bad request", redact(e.getMessage()));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException e,
            HttpHeaders headers,
            HttpStatusCode status,
            WebRequest request) {
        // job specs are read by JobSpec.parse; this is a body that was not even text
        JobSpec.FieldError error =
                new JobSpec.FieldError(
                        "body",
                        "is not readable: "
                                + (e.getMostSpecificCause() == null
                                        ? e.getMessage()
                                        : e.getMostSpecificCause()
                                                .getMessage()
                                                .lines()
                                                .findFirst()
                                                .orElse("")));
        return ResponseEntity.badRequest().body(invalidSpec(List.of(error)));
    }

    private static ProblemDetail invalidSpec(List<JobSpec.FieldError> errors) {
        ProblemDetail problem =
                problem(
                        HttpStatus.BAD_REQUEST,
                        "Invalid job spec",
                        errors.stream()
                                .map(f -> f.field() + " " + f.message())
                                .collect(Collectors.joining("; ")));
        problem.setType(INVALID_SPEC);
        problem.setProperty("errors", errors);
        return problem;
    }

    static ProblemDetail problem(HttpStatus status, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        return problem;
    }
}
