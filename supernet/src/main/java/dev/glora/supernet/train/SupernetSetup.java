package dev.glora.supernet.train;

import com.google.gson.Gson;
import dev.glora.supernet.ConfinedFiles;
import dev.glora.supernet.TorchRuntime;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.config.SearchSpace;
import dev.glora.supernet.data.ImageDataset;
import dev.glora.supernet.data.Vtab1k;
import dev.glora.supernet.glora.PathCosts;
import dev.glora.supernet.glora.Supernet;
import dev.glora.supernet.vit.VitArchitecture;
import dev.glora.supernet.vit.VitInit;
import dev.glora.supernet.vit.VitModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Everything a supernet training starts from, the same for {@code glora train-supernet} and the
 * service's training task: the backbone with a new head for the task's classes and fresh adapters,
 * the training and validation sets, and the provenance the trained checkpoint carries.
 *
 * @param fresh the untrained supernet checkpoint (backbone, new head, fresh adapters)
 * @param classes the task's classes
 * @param train the training set
 * @param val the validation set
 * @param provenance what the trained checkpoint records, in this order: producer, backbone and its
 *     SHA-256, task, lists and their SHA-256, training settings, path sampling, and the search
 *     space's ranks ({@link Supernet#RANKS_KEY})
 * @param space the search space
 * @param sampling how a training step draws its paths
 * @param maxParams under {@link Trainees.Sampling#LIMITED}, the most adapter parameters a drawn
 *     path adds; otherwise -1
 */
public record SupernetSetup(
        Checkpoint fresh,
        int classes,
        ImageDataset train,
        ImageDataset val,
        Map<String, String> provenance,
        SearchSpace space,
        Trainees.Sampling sampling,
        long maxParams) {

    /**
     * Metadata key of the task's class names, a JSON array in label order, when the task names
     * them.
     */
    public static final String CLASS_NAMES_KEY = "class_names";

    /**
     * @param backbone the pretrained plain checkpoint
     * @param task the VTAB-1K task folder
     * @param trainList the training list's name
     * @param valList the validation list's name
     * @param space the search space (its largest rank is the supernet rank)
     * @param settings the training settings (their seed initialises the head and the adapters)
     * @param sampling how a training step draws its paths
     * @param maxParams under {@link Trainees.Sampling#LIMITED}, the most adapter parameters a drawn
     *     path adds; otherwise ignored
     * @param producer who trains it, for the provenance
     * @return the setup
     */
    public static SupernetSetup of(
            Path backbone,
            Path task,
            String trainList,
            String valList,
            SearchSpace space,
            TrainSettings settings,
            Trainees.Sampling sampling,
            long maxParams,
            String producer) {
        return of(
                null, backbone, null, task, trainList, valList, space, settings, sampling,
                maxParams, producer);
    }

    /**
     * As {@link #of(Path, Path, String, String, SearchSpace, TrainSettings, Trainees.Sampling,
     * long, String)}, with every file opened by a walk from its root ({@link ConfinedFiles}): the
     * service's model root for the backbone, its data root for the task.
     *
     * @param modelRoot the folder the backbone must lie in; null: anywhere
     * @param backbone the backbone
     * @param dataRoot the folder the task's files must lie in; null: the task folder
     * @param task the task folder
     * @param trainList the training list's name
     * @param valList the validation list's name
     * @param space the search space
     * @param settings the training settings
     * @param sampling how a training step draws its paths
     * @param maxParams under {@link Trainees.Sampling#LIMITED}, the most adapter parameters a drawn
     *     path adds; otherwise ignored
     * @param producer who trains it, for the provenance
     * @return the setup
     * @throws IllegalArgumentException if limited sampling's limit is below the cheapest path
     */
    public static SupernetSetup of(
            Path modelRoot,
            Path backbone,
            Path dataRoot,
            Path task,
            String trainList,
            String valList,
            SearchSpace space,
            TrainSettings settings,
            Trainees.Sampling sampling,
            long maxParams,
            String producer) {
        Checkpoint plain = Safetensors.read(modelRoot, backbone);
        VitArchitecture arch = VitModel.architectureOf(plain, null, backbone.toString());
        long limit = sampling == Trainees.Sampling.LIMITED ? maxParams : -1;
        if (sampling == Trainees.Sampling.LIMITED) {
            Trainees.checkLimit(new PathCosts(Supernet.layerShapes(arch), space), limit);
        }
        int classes = Vtab1k.classCount(task);
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("producer", producer + " " + Provenance.codeVersion());
        provenance.put(
                "backbone",
                backbone.toAbsolutePath() + " sha256:" + Provenance.sha256(modelRoot, backbone));
        provenance.put(VitArchitecture.NAME_KEY, VitArchitecture.nameOf(plain.metadata()));
        provenance.put("task", task.toAbsolutePath().toString());
        putClassNames(provenance, task);
        provenance.put("train_list", describe(task, trainList));
        provenance.put("val_list", describe(task, valList));
        provenance.put("train_settings", settings.fingerprint());
        provenance.put("sampling", sampling.label() + (limit < 0 ? "" : " max_params " + limit));
        provenance.put(
                Supernet.RANKS_KEY,
                space.ranks().stream().map(String::valueOf).collect(Collectors.joining(",")));
        Checkpoint fresh =
                Supernet.fresh(
                        VitInit.withNewHead(plain, arch, classes, settings.seed()),
                        arch.withNumClasses(classes),
                        space.supernetRank(),
                        settings.seed());
        return new SupernetSetup(
                fresh,
                classes,
                Vtab1k.read(dataRoot, task, trainList),
                Vtab1k.read(dataRoot, task, valList),
                Collections.unmodifiableMap(provenance),
                space,
                sampling,
                limit);
    }

    /**
     * Records a task's class names, when its {@code task.json} gives them, under {@link
     * #CLASS_NAMES_KEY}: the head's outputs in order, so that whoever loads a model trained on it
     * can name them.
     *
     * @param metadata where to put them
     * @param task the task folder
     */
    public static void putClassNames(Map<String, String> metadata, Path task) {
        List<String> names = Vtab1k.classNames(task);
        if (!names.isEmpty()) {
            metadata.put(CLASS_NAMES_KEY, new Gson().toJson(names));
        }
    }

    /**
     * @param supernet the loaded {@link #fresh} supernet
     * @return it as a trainee, with this setup's space and sampling
     */
    public Trainer.Trainee trainee(Supernet supernet) {
        return Trainees.supernet(supernet, space, sampling, maxParams);
    }

    /**
     * @param supernet the trained supernet
     * @param history its training history
     * @return its checkpoint, with the provenance and the history in the metadata
     */
    public Checkpoint trained(Supernet supernet, List<EpochResult> history) {
        Map<String, String> meta = new LinkedHashMap<>(provenance);
        meta.put("train_history", Trainer.historyJson(history));
        // the floats depend on it, so it belongs with the settings (0: PyTorch's default)
        meta.put("train_threads", Integer.toString(TorchRuntime.threads()));
        return supernet.toCheckpoint(meta);
    }

    /**
     * @param task a task folder
     * @param list a list's name
     * @return the list file's path and SHA-256
     */
    public static String describe(Path task, String list) {
        Path file = Vtab1k.listFile(task, list);
        return file.toAbsolutePath()
                + (Files.isRegularFile(file) ? " sha256:" + Provenance.sha256(file) : "");
    }
}
