package dev.glora.jobs;

import dev.glora.supernet.GloraException;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.vit.VitArchitecture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a job spec is checked against before it is stored: its own fields ({@link
 * JobSpec#validate}), then the files it names under the roots: the backbone is a plain checkpoint
 * whose architecture the spec fits ({@link JobSpec#validateFor}), and the task holds every list the
 * job will read. A spec that would fail after hours of training is refused at submit, every error
 * named by field.
 */
public final class SubmitChecks {

    private SubmitChecks() {}

    /**
     * The outcome of the checks.
     *
     * @param errors every field that is wrong, in the order found; empty when the spec may be
     *     stored
     * @param architecture the backbone's architecture label, or null when it could not be read
     */
    public record Outcome(List<JobSpec.FieldError> errors, String architecture) {}

    /**
     * @param spec a spec with its defaults filled in
     * @param roots the model and data roots its paths are relative to
     * @return its errors, and the backbone's architecture
     */
    public static Outcome check(JobSpec spec, Roots roots) {
        List<JobSpec.FieldError> errors = new ArrayList<>(spec.validate());
        String architecture = null;
        try {
            Catalog.Model backbone = backbone(spec.backbone(), roots);
            if (backbone != null && backbone.kind() == Catalog.Kind.PLAIN) {
                architecture = backbone.architecture();
                if (errors.isEmpty()) {
                    errors.addAll(spec.validateFor(architecture(backbone)));
                }
            } else if (backbone != null) {
                errors.add(new JobSpec.FieldError("backbone", notPlain(spec, backbone)));
            }
        } catch (JobException e) {
            errors.add(new JobSpec.FieldError(e.field(), e.reason()));
        }
        if (spec.data() != null && !spec.data().isBlank()) {
            try {
                Path folder = roots.task(spec.data());
                Set<String> invalid = new HashSet<>();
                errors.forEach(e -> invalid.add(e.field()));
                // every list the job will read, so that none is found missing after hours of
                // training
                spec.listsRead()
                        .forEach(
                                (list, field) -> {
                                    if (!invalid.contains(field)
                                            && !Files.isRegularFile(
                                                    Vtab1k.listFile(folder, list))) {
                                        errors.add(
                                                new JobSpec.FieldError(
                                                        field, missingList(spec, list, field)));
                                    }
                                });
            } catch (JobException e) {
                errors.add(new JobSpec.FieldError(e.field(), e.reason()));
            }
        }
        return new Outcome(List.copyOf(errors), architecture);
    }

    /**
     * The request resolved into a complete spec, with the architecture of the backbone it names
     * where that is a readable plain checkpoint, so that defaults that follow the backbone apply
     * ({@link JobRequest#withDefaults(VitArchitecture)}); a backbone that cannot be read resolves
     * without it, and {@link #check} names what is wrong with it.
     *
     * @param request the request as submitted
     * @param roots the model root its backbone is relative to
     * @return the spec with its defaults
     */
    public static JobSpec resolve(JobRequest request, Roots roots) {
        VitArchitecture arch = null;
        try {
            Catalog.Model backbone = backbone(request.backbone(), roots);
            if (backbone != null && backbone.kind() == Catalog.Kind.PLAIN) {
                arch = architecture(backbone);
            }
        } catch (GloraException e) {
            // check names what is wrong with it, by field, on the spec resolved without it
        }
        return request.withDefaults(arch);
    }

    /**
     * Run again under the catalog lock as the job is stored: a backbone or task deleted since
     * {@link #check} is named, not used.
     *
     * @param spec the spec being stored
     * @param roots its roots
     * @return the fields whose files are gone; empty when both are still there
     */
    public static List<JobSpec.FieldError> stillThere(JobSpec spec, Roots roots) {
        List<JobSpec.FieldError> gone = new ArrayList<>();
        try {
            roots.backbone(spec.backbone());
        } catch (JobException e) {
            gone.add(new JobSpec.FieldError(e.field(), e.reason()));
        }
        try {
            roots.task(spec.data());
        } catch (JobException e) {
            gone.add(new JobSpec.FieldError(e.field(), e.reason()));
        }
        return gone;
    }

    /** The checkpoint named as a backbone, read from the model root; null where none is named. */
    private static Catalog.Model backbone(String name, Roots roots) {
        return name == null || name.isBlank()
                ? null
                : Catalog.model(roots.models(), roots.backbone(name));
    }

    private static VitArchitecture architecture(Catalog.Model plain) {
        return VitArchitecture.fromMetadata(plain.shape(), plain.name());
    }

    private static String notPlain(JobSpec spec, Catalog.Model backbone) {
        return backbone.kind() == Catalog.Kind.SUPERNET
                ? "'" + spec.backbone() + "' is a supernet; a job starts from a plain backbone"
                : "'" + spec.backbone() + "' cannot be used: " + backbone.error();
    }

    private static String missingList(JobSpec spec, String list, String field) {
        return "the task '"
                + spec.data()
                + "' has no list "
                + list
                + " ("
                + list
                + ".txt)"
                + (field.equals("retrain.trainList")
                        ? ": give one, or retrain on " + JobSpec.TRAIN_LIST
                        : "");
    }
}
