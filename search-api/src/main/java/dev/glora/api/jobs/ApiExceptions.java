package dev.glora.api.jobs;

import dev.glora.jobs.JobSpec;
import java.util.List;

/** The API's own errors, each mapped to one problem document by {@link ProblemAdvice}. */
final class ApiExceptions {

    private ApiExceptions() {}

    /** No job with that id: 404. */
    static final class JobNotFound extends RuntimeException {
        private static final long serialVersionUID = 1L;

        JobNotFound(long id) {
            super("no job " + id);
        }
    }

    /** A result asked for before the job produced it: 409. */
    static final class NotReady extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotReady(String message) {
            super(message);
        }
    }

    /** A result the job's spec never asked for: 404. */
    static final class NoSuchResult extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoSuchResult(String message) {
            super(message);
        }
    }

    /** A change that needs a finished job, asked of one still running: 409. */
    static final class StillRunning extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StillRunning(String message) {
            super(message);
        }
    }

    /** A spec with invalid fields: 400, every field named. */
    static final class InvalidSpec extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient List<JobSpec.FieldError> errors;

        InvalidSpec(List<JobSpec.FieldError> errors) {
            super(
                    errors.size()
                            + " invalid field(s): "
                            + errors.stream().map(JobSpec.FieldError::field).toList());
            this.errors = List.copyOf(errors);
        }

        List<JobSpec.FieldError> errors() {
            return errors;
        }
    }
}
