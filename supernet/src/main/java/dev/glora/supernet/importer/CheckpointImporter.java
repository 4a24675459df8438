package dev.glora.supernet.importer;

import ai.djl.ndarray.types.Shape;
import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Safetensors;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.vit.LinearFactory;
import dev.glora.supernet.vit.ModelWeights;
import dev.glora.supernet.vit.VisionTransformer;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

/**
 * Turns a foreign ViT checkpoint (timm-named safetensors, a transformers ViT's safetensors ({@link
 * TransformersVit}), or Google's original {@code .npz}) into a self-describing one that every
 * command and the service accept.
 *
 * <p>The architecture is a timm name ({@link TimmArchitectures}) checked tensor by tensor against
 * the file, or inferred from the shapes (patch size and width from {@code patch_embed.proj.weight},
 * image size from {@code pos_embed}, depth from the blocks, MLP ratio from {@code fc1}, classes
 * from the head) plus a head count and mean/std. Variants the ViT here does not compute are refused
 * by name.
 */
public final class CheckpointImporter {

    /** Metadata key: the timm name of the architecture, or {@code inferred}. */
    public static final String ARCH_KEY = VitArchitecture.NAME_KEY;

    private static final String[][] UNSUPPORTED = {
        {".ls1.gamma", "LayerScale (ls1/ls2.gamma)"},
        {".ls2.gamma", "LayerScale (ls1/ls2.gamma)"},
        {"reg_token", "register tokens (reg_token)"},
        {"fc_norm.", "average pooling with fc_norm"},
        {"dist_token", "a distillation token (DeiT distilled)"},
        {"head_dist.", "a distillation head (DeiT distilled)"},
        {"norm_pre.", "a pre-norm before the blocks (norm_pre, CLIP-style)"},
        {".attn.q_norm.", "query/key normalisation (q_norm/k_norm)"},
        {".attn.k_norm.", "query/key normalisation (q_norm/k_norm)"},
        {"attn_pool.", "an attention-pooling head (attn_pool)"},
    };

    private CheckpointImporter() {}

    /**
     * The largest input size an import adapts a model to: 4,096 position rows of a patch-32 model,
     * 65,536 of a patch-16 one, which the resampling holds twice.
     */
    public static final int MAX_IMG_SIZE = 4096;

    /**
     * What the user says about the source; every field may be null.
     *
     * @param arch a timm model name, e.g. {@code vit_base_patch16_224.augreg_in21k}
     * @param numHeads attention heads (needed without {@code arch} for safetensors)
     * @param mean per-channel mean (overrides the architecture's)
     * @param std per-channel std (overrides the architecture's)
     * @param imgSize the input size to adapt at; {@code pos_embed} is resampled when it differs
     */
    public record Options(
            String arch, Integer numHeads, float[] mean, float[] std, Integer imgSize) {

        /**
         * @return no options: everything from the file
         */
        public static Options none() {
            return new Options(null, null, null, null, null);
        }
    }

    /**
     * An imported checkpoint, not yet written: what came from a safetensors file stays there until
     * {@link #write} streams it, one tensor at a time; what the import made (a Google checkpoint's
     * converted tensors, a resampled {@code pos_embed}, a stand-in head) is held.
     *
     * @param shapes every tensor's shape, in model order
     * @param metadata the architecture and provenance metadata
     * @param architecture its architecture
     * @param architectureName the timm name, or {@code inferred}
     * @param dropped one line per thing left out of the source, with why
     * @param notes one line per other change (resampling, a stand-in head, assumed mean/std)
     * @param source the safetensors file the tensors not held are read from; null when all are held
     * @param held the tensors the import made, by name
     */
    public record Imported(
            Map<String, long[]> shapes,
            Map<String, String> metadata,
            VitArchitecture architecture,
            String architectureName,
            List<String> dropped,
            List<String> notes,
            Path source,
            Map<String, Tensor> held) {

        /**
         * Writes the imported checkpoint as float32 safetensors, reading each tensor from the
         * source only when its turn comes (an F16 file's tensors are converted one by one).
         *
         * @param out the file to write; it appears whole or not at all
         */
        public void write(Path out) {
            if (source == null) {
                Safetensors.write(shapes, metadata, held::get, out);
                return;
            }
            try (Safetensors.Reader reader = Safetensors.Reader.open(source)) {
                Safetensors.write(
                        shapes,
                        metadata,
                        name -> held.containsKey(name) ? held.get(name) : reader.tensor(name),
                        out);
            }
        }

        /**
         * @return every tensor on the heap, as float32: for small models and tests
         */
        public Checkpoint checkpoint() {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            if (source == null) {
                shapes.keySet().forEach(n -> tensors.put(n, held.get(n)));
            } else {
                try (Safetensors.Reader reader = Safetensors.Reader.open(source)) {
                    shapes.keySet()
                            .forEach(
                                    n ->
                                            tensors.put(
                                                    n,
                                                    held.containsKey(n)
                                                            ? held.get(n)
                                                            : reader.tensor(n)));
                }
            }
            return new Checkpoint(tensors, metadata);
        }

        /**
         * @return the number of values in all tensors
         */
        public long parameters() {
            return new Safetensors.Header(shapes, metadata).parameters();
        }
    }

    /**
     * Imports a file; nothing is written.
     *
     * @param from a {@code .safetensors} or {@code .npz} file, or a transformers folder
     * @param options what the user says about it
     * @return the imported checkpoint
     * @throws CheckpointException naming the file, and the tensor where one is at fault
     */
    public static Imported read(Path from, Options options) {
        if (Files.isDirectory(from)) {
            // a transformers folder (save_pretrained): its weights, with config.json beside them
            Path weights = from.resolve(TransformersVit.WEIGHTS);
            if (!Files.isRegularFile(weights)) {
                throw new CheckpointException(
                        from
                                + ": a folder without "
                                + TransformersVit.WEIGHTS
                                + " (a"
                                + " transformers folder saved with safe_serialization holds one)");
            }
            from = weights;
        }
        return read(from, from.getFileName().toString(), options);
    }

    /**
     * Imports a file kept under another name (an upload); nothing is written.
     *
     * @param from a {@code .safetensors} or {@code .npz} file
     * @param sourceName the name to record and to name in errors
     * @param options what the user says about it
     * @return the imported checkpoint
     * @throws CheckpointException naming the source, and the tensor where one is at fault
     */
    public static Imported read(Path from, String sourceName, Options options) {
        if (from.getFileName().toString().equals(sourceName)) {
            return read(from, sourceName, from.toString(), options);
        }
        try {
            return read(from, sourceName, sourceName, options);
        } catch (CheckpointException e) {
            // The readers name the file they read; a kept-aside upload is named as the user knows
            // it.
            throw new CheckpointException(e.getMessage().replace(from.toString(), sourceName), e);
        }
    }

    private static Imported read(Path from, String sourceName, String source, Options options) {
        refusePickles(from, source);
        String sha256 = Provenance.sha256(from);
        List<String> dropped = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, Tensor> held = new LinkedHashMap<>();
        Map<String, String> fileMeta = Map.of();
        Path streamed = null;
        Integer fileHeads = null;
        TransformersVit.Config transformers = null;
        String format;
        if (Npz.looksLikeNpz(from)) {
            GoogleVit.Converted converted = GoogleVit.toTimm(Npz.read(from), source);
            held.putAll(converted.tensors());
            held.forEach((n, t) -> shapes.put(n, t.shape()));
            fileHeads = converted.numHeads();
            format = "google-vit-npz";
            if (converted.preLogits()) {
                dropped.add(
                        "pre_logits (dense + tanh representation layer of in21k weights): timm's ViT has none,"
                                + " and GLoRA's reference drops it as timm does");
                dropHead(
                        shapes,
                        dropped,
                        "it was trained on the pre_logits output, which is dropped");
            }
        } else {
            // streamed: each tensor comes onto the heap as float32 only while it is written (an F16
            // or BF16 one twice its size in the file), so the largest one must fit the budget
            Safetensors.Header header;
            try (Safetensors.Reader reader = Safetensors.Reader.open(from)) {
                header = reader.header();
            }
            long largest = header.largest();
            long needed = largest > Long.MAX_VALUE / 4 ? Long.MAX_VALUE : largest * 4;
            long budget = Npz.defaultBudget();
            if (needed > budget) {
                throw new CheckpointException(
                        source
                                + ": its largest tensor needs "
                                + needed
                                + " bytes of memory as"
                                + " float32, more than the "
                                + budget
                                + " this import may take (half of the heap left; give"
                                + " the JVM more with -Xmx, or import it on a larger machine)");
            }
            if (TransformersVit.isTransformers(header.shapes().keySet())) {
                // transformers' layout: q, k and v are joined into qkv, so every tensor is held
                long total =
                        header.parameters() > Long.MAX_VALUE / 4
                                ? Long.MAX_VALUE
                                : header.parameters() * 4;
                if (total > budget) {
                    throw new CheckpointException(
                            source
                                    + ": a transformers checkpoint is converted in memory and"
                                    + " needs "
                                    + total
                                    + " bytes as float32, more than the "
                                    + budget
                                    + " this import may"
                                    + " take (give the JVM more with -Xmx)");
                }
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                try (Safetensors.Reader reader = Safetensors.Reader.open(from)) {
                    header.shapes().keySet().forEach(n -> tensors.put(n, reader.tensor(n)));
                }
                held.putAll(TransformersVit.toTimm(tensors, dropped, source));
                held.forEach((n, t) -> shapes.put(n, t.shape()));
                // the configuration is read from beside the weights when they are a transformers
                // folder's model.safetensors (an upload is a single file: its options say the rest)
                transformers =
                        from.getFileName().toString().equals(TransformersVit.WEIGHTS)
                                ? TransformersVit.config(from.toAbsolutePath().getParent())
                                : TransformersVit.Config.none();
                fileHeads = transformers.numHeads();
                format = "transformers-safetensors";
            } else {
                shapes.putAll(header.shapes());
                fileMeta = header.metadata();
                streamed = from;
                format = "timm-safetensors";
            }
            if (shapes.keySet().stream().anyMatch(n -> n.startsWith("pre_logits."))) {
                shapes.keySet().removeIf(n -> n.startsWith("pre_logits."));
                dropped.add(
                        "pre_logits.fc (representation layer of old timm in21k weights): the ViT here has none");
                dropHead(
                        shapes,
                        dropped,
                        "it was trained on the pre_logits output, which is dropped");
            }
        }
        refuseVariants(shapes, source);
        if (transformers != null && (options.mean() == null || options.std() == null)) {
            long[] patch = shapes.get("patch_embed.proj.weight");
            float[] half = new float[patch != null && patch.length == 4 ? (int) patch[1] : 3];
            Arrays.fill(half, 0.5f);
            float[] mean =
                    options.mean() != null
                            ? options.mean()
                            : transformers.mean() != null ? transformers.mean() : half;
            float[] std =
                    options.std() != null
                            ? options.std()
                            : transformers.std() != null ? transformers.std() : half;
            if (transformers.mean() == null || transformers.std() == null) {
                notes.add(
                        "mean/std "
                                + Arrays.toString(mean)
                                + "/"
                                + Arrays.toString(std)
                                + " assumed: transformers'"
                                + " ViTImageProcessor default (no preprocessor_config.json beside the weights)");
            }
            options = new Options(options.arch(), options.numHeads(), mean, std, options.imgSize());
        }
        Shapes s = Shapes.of(shapes, source);
        TimmArchitectures.Named named =
                options.arch() == null ? null : TimmArchitectures.lookup(options.arch());
        VitArchitecture arch =
                named != null
                        ? named(named, s, options, fileHeads, source)
                        : inferred(s, options, fileMeta, fileHeads, source, notes);
        if (transformers != null) {
            float eps =
                    transformers.layerNormEps() != null
                            ? transformers.layerNormEps()
                            : TransformersVit.DEFAULT_EPS;
            if (transformers.layerNormEps() == null) {
                notes.add(
                        "layer_norm_eps "
                                + eps
                                + " assumed: transformers' ViT default (no config.json beside the"
                                + " weights)");
            }
            if (transformers.qkvBias() != null && transformers.qkvBias() != arch.qkvBias()) {
                throw new CheckpointException(
                        source
                                + ": config.json says qkv_bias "
                                + transformers.qkvBias()
                                + ", the tensors say "
                                + arch.qkvBias());
            }
            arch = arch.withLayerNormEps(eps);
        }
        if (!shapes.containsKey("head.weight")) {
            held.put("head.weight", Tensor.zeros(1, arch.embedDim()));
            held.put("head.bias", Tensor.zeros(1));
            shapes.put("head.weight", new long[] {1, arch.embedDim()});
            shapes.put("head.bias", new long[] {1});
            notes.add(
                    "the source has no classifier head: a 1-class zero head stands in (train-supernet and"
                            + " finetune give the model a head for the task's classes)");
        }
        String name =
                named != null
                        ? named.name()
                        : VitArchitecture.isDescribedBy(fileMeta)
                                ? fileMeta.getOrDefault(ARCH_KEY, "inferred")
                                : "inferred";
        if (options.imgSize() != null && options.imgSize() != arch.imgSize()) {
            int size = options.imgSize();
            if (size > MAX_IMG_SIZE) {
                throw new CheckpointException(
                        "--img-size "
                                + size
                                + " is larger than "
                                + MAX_IMG_SIZE
                                + " px, the"
                                + " most an import adapts to (the position embedding grows with its square)");
            }
            if (size < arch.patchSize() || size % arch.patchSize() != 0) {
                throw new CheckpointException(
                        "--img-size "
                                + size
                                + " is not a multiple of the patch size "
                                + arch.patchSize());
            }
            Tensor pos = held.get("pos_embed");
            if (pos == null) {
                try (Safetensors.Reader reader = Safetensors.Reader.open(from)) {
                    pos = reader.tensor("pos_embed");
                }
            }
            Tensor resampled = PosEmbedResampler.resample(pos, size / arch.patchSize());
            notes.add(
                    "pos_embed resampled from "
                            + arch.imgSize()
                            + " px ("
                            + pos.shapeString()
                            + ") to "
                            + size
                            + " px ("
                            + resampled.shapeString()
                            + "), bicubic with antialiasing as timm does");
            held.put("pos_embed", resampled);
            shapes.put("pos_embed", resampled.shape());
            arch = arch.withImgSize(size);
        }
        VisionTransformer model = new VisionTransformer(arch, LinearFactory.PLAIN);
        ModelWeights.checkShapes(model, shapes, source);
        Map<String, long[]> ordered = new LinkedHashMap<>();
        ModelWeights.shapes(model).keySet().forEach(n -> ordered.put(n, shapes.get(n)));
        Map<String, String> meta = new LinkedHashMap<>(arch.toMetadata());
        meta.put(ARCH_KEY, name);
        meta.put("producer", "glora import " + Provenance.codeVersion());
        meta.put("source_file", sourceName);
        meta.put("source_sha256", sha256);
        meta.put("source_format", format);
        meta.put("source_dropped", dropped.isEmpty() ? "nothing" : String.join("; ", dropped));
        if (!notes.isEmpty()) {
            meta.put("import_notes", String.join("; ", notes));
        }
        held.keySet().retainAll(ordered.keySet());
        return new Imported(
                Collections.unmodifiableMap(ordered),
                Collections.unmodifiableMap(meta),
                arch,
                name,
                List.copyOf(dropped),
                List.copyOf(notes),
                streamed,
                Collections.unmodifiableMap(held));
    }

    /**
     * Refuses PyTorch's pickled checkpoints ({@code pytorch_model.bin}, {@code .pt}, {@code .pth})
     * by what they are, not by their name: unpickling runs whatever code the file names, so they
     * are never read. {@code torch.save} writes a zip holding {@code data.pkl} (since PyTorch 1.6)
     * or, before, a bare pickle (first byte 0x80, then the protocol).
     */
    static void refusePickles(Path from, String source) {
        String why = null;
        try (InputStream in = Files.newInputStream(from)) {
            byte[] head = in.readNBytes(2);
            if (head.length == 2 && (head[0] & 0xFF) == 0x80 && head[1] >= 2 && head[1] <= 5) {
                why = "a pickle (torch.save before PyTorch 1.6)";
            }
        } catch (IOException e) {
            throw new CheckpointException(source + ": cannot read: " + e, e);
        }
        if (why == null && Npz.looksLikeNpz(from)) {
            try (ZipFile zip = new ZipFile(from.toFile())) {
                if (zip.stream()
                        .anyMatch(
                                e ->
                                        e.getName().equals("data.pkl")
                                                || e.getName().endsWith("/data.pkl"))) {
                    why = "a zip holding data.pkl (torch.save)";
                }
            } catch (IOException e) {
                // not a readable zip: the .npz reader says what is wrong with it
            }
        }
        if (why != null) {
            throw new CheckpointException(
                    source
                            + ": a pickled PyTorch checkpoint ("
                            + why
                            + "); pickles can run"
                            + " code when loaded and are never read here. Convert it to safetensors first (transformers:"
                            + " model.save_pretrained(folder, safe_serialization=True); timm:"
                            + " safetensors.torch.save_file(model.state_dict(), 'model.safetensors'))");
        }
    }

    private static void dropHead(Map<String, long[]> shapes, List<String> dropped, String why) {
        long[] head = shapes.remove("head.weight");
        shapes.remove("head.bias");
        if (head != null) {
            dropped.add("head " + Arrays.toString(head) + ": " + why);
        }
    }

    private static void refuseVariants(Map<String, long[]> tensors, String source) {
        for (String required : List.of("cls_token", "pos_embed", "patch_embed.proj.weight")) {
            if (!tensors.containsKey(required)) {
                throw new CheckpointException(
                        source
                                + ": no tensor "
                                + required
                                + (required.equals("cls_token")
                                        ? " (a ViT without a class token is not supported)"
                                        : " (not a timm ViT checkpoint?)"));
            }
        }
        for (String name : tensors.keySet()) {
            for (String[] variant : UNSUPPORTED) {
                if (name.contains(variant[0])) {
                    throw new CheckpointException(
                            source
                                    + ": tensor "
                                    + name
                                    + " belongs to "
                                    + variant[1]
                                    + ", a ViT variant this service does not support (plain timm ViT and DeiT are)");
                }
            }
        }
    }

    private static VitArchitecture named(
            TimmArchitectures.Named named,
            Shapes s,
            Options options,
            Integer fileHeads,
            String source) {
        if (options.numHeads() != null && options.numHeads() != named.numHeads()) {
            throw new CheckpointException(
                    "--num-heads "
                            + options.numHeads()
                            + " contradicts "
                            + named.name()
                            + ", which has "
                            + named.numHeads());
        }
        if (fileHeads != null && fileHeads != named.numHeads()) {
            throw new CheckpointException(
                    source
                            + ": the query kernels have "
                            + fileHeads
                            + " heads, "
                            + named.name()
                            + " has "
                            + named.numHeads());
        }
        VitArchitecture expected =
                new VitArchitecture(
                        named.imgSize(),
                        named.patchSize(),
                        3,
                        named.embedDim(),
                        named.depth(),
                        named.numHeads(),
                        4.0,
                        s.classes(),
                        s.qkvBias(),
                        options.mean() != null ? options.mean() : named.mean(),
                        options.std() != null ? options.std() : named.std());
        contradictions(expected, named.name(), s, source);
        return expected;
    }

    private static VitArchitecture inferred(
            Shapes s,
            Options options,
            Map<String, String> fileMeta,
            Integer fileHeads,
            String source,
            List<String> notes) {
        int classes = s.classes();
        boolean described = VitArchitecture.isDescribedBy(fileMeta);
        VitArchitecture fromFile =
                described ? VitArchitecture.fromMetadata(fileMeta, source) : null;
        Integer heads =
                options.numHeads() != null
                        ? options.numHeads()
                        : fileHeads != null
                                ? fileHeads
                                : fromFile != null ? Integer.valueOf(fromFile.numHeads()) : null;
        if (heads == null) {
            throw new CheckpointException(
                    source
                            + ": the number of attention heads cannot be read from the tensors;"
                            + " give --num-heads, or --arch with a timm model name");
        }
        float[] mean =
                options.mean() != null ? options.mean() : fromFile != null ? fromFile.mean() : null;
        float[] std =
                options.std() != null ? options.std() : fromFile != null ? fromFile.std() : null;
        if ((mean == null || std == null) && fileHeads != null) {
            mean = mean != null ? mean : new float[] {0.5f, 0.5f, 0.5f};
            std = std != null ? std : new float[] {0.5f, 0.5f, 0.5f};
            notes.add(
                    "mean/std "
                            + Arrays.toString(mean)
                            + "/"
                            + Arrays.toString(std)
                            + " assumed: Google's ViT checkpoints were trained on pixels scaled to [-1, 1]");
        }
        if (mean == null || std == null) {
            throw new CheckpointException(
                    source
                            + ": the input normalisation cannot be read from the tensors; give"
                            + " --mean and --std (timm's ImageNet default is 0.485,0.456,0.406 / 0.229,0.224,0.225,"
                            + " Google's ViTs use 0.5,0.5,0.5 / 0.5,0.5,0.5), or --arch with a timm model name");
        }
        try {
            return new VitArchitecture(
                    s.imgSize(),
                    s.patchSize(),
                    s.inChans(),
                    s.embedDim(),
                    s.depth(),
                    heads,
                    (double) s.hidden() / s.embedDim(),
                    classes,
                    s.qkvBias(),
                    mean,
                    std);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(source + ": " + e.getMessage(), e);
        }
    }

    /** Refuses the file at the first tensor whose shape the named architecture does not give. */
    private static void contradictions(
            VitArchitecture expected, String name, Shapes s, String source) {
        Map<String, Shape> shapes =
                ModelWeights.shapes(new VisionTransformer(expected, LinearFactory.PLAIN));
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            long[] t = s.tensors().get(e.getKey());
            if (t != null && !Arrays.equals(t, e.getValue().getShape())) {
                throw new CheckpointException(
                        source
                                + ": tensor "
                                + e.getKey()
                                + " has shape "
                                + Arrays.toString(t)
                                + ", but "
                                + name
                                + " has "
                                + Arrays.toString(e.getValue().getShape())
                                + " (a different architecture? leave --arch out to infer it)");
            }
        }
        if (s.depth() != expected.depth()) {
            throw new CheckpointException(
                    source
                            + ": the file has "
                            + s.depth()
                            + " blocks (blocks.0 … blocks."
                            + (s.depth() - 1)
                            + "), but "
                            + name
                            + " has "
                            + expected.depth());
        }
    }

    /** What the tensor shapes say about the architecture. */
    private record Shapes(
            Map<String, long[]> tensors,
            int patchSize,
            int inChans,
            int embedDim,
            int imgSize,
            int depth,
            int hidden,
            int classes,
            boolean qkvBias) {

        static Shapes of(Map<String, long[]> tensors, String source) {
            long[] proj = tensors.get("patch_embed.proj.weight");
            if (proj.length != 4 || proj[2] != proj[3]) {
                throw new CheckpointException(
                        source
                                + ": tensor patch_embed.proj.weight has shape "
                                + Arrays.toString(proj)
                                + ", expected (D, C, p, p)");
            }
            long[] pos = tensors.get("pos_embed");
            int side = pos.length == 3 ? PosEmbedResampler.gridSide(pos[1] - 1) : -1;
            if (side < 1 || pos[2] != proj[0]) {
                throw new CheckpointException(
                        source
                                + ": tensor pos_embed has shape "
                                + Arrays.toString(pos)
                                + ", expected (1, 1 + a square number of patches, "
                                + proj[0]
                                + ")");
            }
            int depth = 0;
            while (tensors.containsKey("blocks." + depth + ".norm1.weight")) {
                depth++;
            }
            long[] fc1 = tensors.get("blocks.0.mlp.fc1.weight");
            if (depth == 0 || fc1 == null) {
                throw new CheckpointException(
                        source
                                + ": no tensor blocks.0.norm1.weight or blocks.0.mlp.fc1.weight"
                                + " (not a timm ViT checkpoint?)");
            }
            long[] head = tensors.get("head.weight");
            return new Shapes(
                    tensors,
                    (int) proj[2],
                    (int) proj[1],
                    (int) proj[0],
                    side * (int) proj[2],
                    depth,
                    (int) fc1[0],
                    head == null ? 1 : (int) head[0],
                    tensors.containsKey("blocks.0.attn.qkv.bias"));
        }
    }
}
