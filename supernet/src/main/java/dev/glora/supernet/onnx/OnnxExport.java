package dev.glora.supernet.onnx;

import dev.glora.supernet.checkpoint.Checkpoint;
import dev.glora.supernet.checkpoint.CheckpointException;
import dev.glora.supernet.checkpoint.Provenance;
import dev.glora.supernet.checkpoint.Tensor;
import dev.glora.supernet.onnx.Protobuf.Message;
import dev.glora.supernet.vit.LinearFactory;
import dev.glora.supernet.vit.ModelWeights;
import dev.glora.supernet.vit.VisionTransformer;
import dev.glora.supernet.vit.VitArchitecture;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a plain (merged) timm ViT checkpoint as an ONNX graph, opset 17, with a dynamic batch: the
 * file ONNX Runtime, TensorRT or OpenVINO load for deployment.
 *
 * <p>Input {@code pixel_values} (batch, C, H, W), normalised as the architecture says ({@code
 * (pixel / 255 - mean) / std}; the values are in the graph's metadata as {@code mean} and {@code
 * std}); output {@code logits} (batch, classes). The graph computes what {@link VisionTransformer}
 * computes, operation for operation: a strided convolution for the patches, the class token and
 * position embedding, per block {@code LayerNormalization} (the architecture's epsilon), the fused
 * qkv projection split into heads, scaled soft-max attention, the exact (erf) GELU, and the head on
 * the class token. Linear weights are stored transposed, (in, out), so that each projection is one
 * {@code MatMul}.
 *
 * <p>Tensors stream to the file one after another; nothing but the small graph is held twice.
 */
public final class OnnxExport {

    /** The operator set the graph uses (LayerNormalization needs 17). */
    public static final int OPSET = 17;

    /** The IR version that goes with opset 17. */
    static final int IR_VERSION = 8;

    /** The graph's input name. */
    public static final String INPUT = "pixel_values";

    /** The graph's output name. */
    public static final String OUTPUT = "logits";

    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    private final VitArchitecture arch;
    private final Checkpoint weights;
    private final List<Message> nodes = new ArrayList<>();

    /** Initializers in the order written: name, shape, and where the values come from. */
    private final List<Initializer> initializers = new ArrayList<>();

    /** The small constants (shapes, indices, scalars) by name, each made once. */
    private final Map<String, Message> constants = new LinkedHashMap<>();

    private int counter;

    private record Initializer(String name, long[] shape, Tensor source, boolean transposed) {}

    private OnnxExport(VitArchitecture arch, Checkpoint weights) {
        this.arch = arch;
        this.weights = weights;
    }

    /**
     * Writes the graph to {@code file} (through a temporary file beside it, renamed into place).
     *
     * @param merged a plain ViT checkpoint in timm's names (a merged job result or a backbone)
     * @param arch its architecture
     * @param metadata key-value pairs stored in the model's {@code metadata_props} (provenance,
     *     label names)
     * @param file the {@code .onnx} file to write
     * @throws CheckpointException if a tensor the architecture needs is missing or misshapen
     * @throws IOException if the file cannot be written
     */
    public static void write(
            Checkpoint merged, VitArchitecture arch, Map<String, String> metadata, Path file)
            throws IOException {
        OnnxExport export = prepare(merged, arch);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path partial = Files.createTempFile(parent, ".onnx-", ".partial");
        try {
            try (OutputStream out =
                    new BufferedOutputStream(Files.newOutputStream(partial), 1 << 20)) {
                export.writeModel(out, properties(arch, metadata));
            }
            Files.move(
                    partial,
                    file,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private static OnnxExport prepare(Checkpoint merged, VitArchitecture arch) {
        // exactly a plain ViT's tensors and shapes: a supernet's extra tensors are refused too
        ModelWeights.check(
                new VisionTransformer(arch, LinearFactory.PLAIN),
                merged.tensors(),
                "the model to export as ONNX");
        OnnxExport export = new OnnxExport(arch, merged);
        export.buildGraph();
        return export;
    }

    private static Map<String, String> properties(
            VitArchitecture arch, Map<String, String> metadata) {
        Map<String, String> props = new LinkedHashMap<>(metadata);
        // as the checkpoint's own metadata writes them: comma-separated, one per channel
        props.put("mean", arch.toMetadata().get("mean"));
        props.put("std", arch.toMetadata().get("std"));
        props.put(
                "input",
                INPUT
                        + ": (batch, "
                        + arch.inChans()
                        + ", "
                        + arch.imgSize()
                        + ", "
                        + arch.imgSize()
                        + ") float32, (pixel / 255 - mean) / std");
        return props;
    }

    // ---- the graph ----

    private void buildGraph() {
        int dim = arch.embedDim();
        int p = arch.patchSize();
        String grid =
                node(
                        "Conv",
                        List.of(
                                INPUT,
                                weight("patch_embed.proj.weight", false),
                                weight("patch_embed.proj.bias", false)),
                        ints("kernel_shape", p, p),
                        ints("strides", p, p));
        String flat = node("Reshape", List.of(grid, int64s("patch_shape", 0, dim, -1)));
        String patches = node("Transpose", List.of(flat), ints("perm", 0, 2, 1));
        String batch =
                node(
                        "Slice",
                        List.of(
                                node("Shape", List.of(INPUT)),
                                int64s("zero_1d", 0),
                                int64s("one_1d", 1)));
        String clsShape =
                node("Concat", List.of(batch, int64s("one_dim", 1, dim)), integer("axis", 0));
        String cls = node("Expand", List.of(weight("cls_token", false), clsShape));
        String tokens = node("Concat", List.of(cls, patches), integer("axis", 1));
        String x = node("Add", List.of(tokens, weight("pos_embed", false)));
        for (int i = 0; i < arch.depth(); i++) {
            x = block("blocks." + i + ".", x);
        }
        String normed = layerNorm("norm.", x);
        String first =
                node("Gather", List.of(normed, int64Scalar("index_0", 0)), integer("axis", 1));
        String logits =
                node(
                        "Gemm",
                        List.of(first, weight("head.weight", false), weight("head.bias", false)),
                        integer("transB", 1));
        nodes.add(
                new Message()
                        .string(1, logits)
                        .string(2, OUTPUT)
                        .string(3, "output")
                        .string(4, "Identity"));
    }

    private String block(String prefix, String x) {
        int dim = arch.embedDim();
        int heads = arch.numHeads();
        int headDim = dim / heads;
        String qkv = linear(prefix + "attn.qkv.", layerNorm(prefix + "norm1.", x), arch.qkvBias());
        String split =
                node(
                        "Transpose",
                        List.of(
                                node(
                                        "Reshape",
                                        List.of(
                                                qkv,
                                                int64s("qkv_shape", 0, 0, 3, heads, headDim)))),
                        ints("perm", 2, 0, 3, 1, 4));
        String q = node("Gather", List.of(split, int64Scalar("index_0", 0)), integer("axis", 0));
        String k = node("Gather", List.of(split, int64Scalar("index_1", 1)), integer("axis", 0));
        String v = node("Gather", List.of(split, int64Scalar("index_2", 2)), integer("axis", 0));
        String scaled =
                node(
                        "Mul",
                        List.of(
                                q,
                                floatScalar(
                                        "attention_scale", (float) (1.0 / Math.sqrt(headDim)))));
        String scores =
                node(
                        "MatMul",
                        List.of(scaled, node("Transpose", List.of(k), ints("perm", 0, 1, 3, 2))));
        String attention = node("Softmax", List.of(scores), integer("axis", -1));
        String mixed =
                node(
                        "Reshape",
                        List.of(
                                node(
                                        "Transpose",
                                        List.of(node("MatMul", List.of(attention, v))),
                                        ints("perm", 0, 2, 1, 3)),
                                int64s("token_shape", 0, 0, dim)));
        String attended = node("Add", List.of(x, linear(prefix + "attn.proj.", mixed, true)));
        String hidden = linear(prefix + "mlp.fc1.", layerNorm(prefix + "norm2.", attended), true);
        // the exact GELU: 0.5 x (1 + erf(x / sqrt 2))
        String erf =
                node(
                        "Erf",
                        List.of(
                                node(
                                        "Div",
                                        List.of(
                                                hidden,
                                                floatScalar("sqrt_2", (float) Math.sqrt(2))))));
        String gelu =
                node(
                        "Mul",
                        List.of(
                                node("Mul", List.of(hidden, floatScalar("half", 0.5f))),
                                node("Add", List.of(erf, floatScalar("one", 1f)))));
        return node("Add", List.of(attended, linear(prefix + "mlp.fc2.", gelu, true)));
    }

    private String layerNorm(String prefix, String x) {
        return node(
                "LayerNormalization",
                List.of(x, weight(prefix + "weight", false), weight(prefix + "bias", false)),
                integer("axis", -1),
                real("epsilon", arch.layerNormEps()));
    }

    private String linear(String prefix, String x, boolean bias) {
        String product = node("MatMul", List.of(x, weight(prefix + "weight", true)));
        return bias ? node("Add", List.of(product, weight(prefix + "bias", false))) : product;
    }

    private String node(String op, List<String> inputs, Message... attributes) {
        String output = op.toLowerCase(Locale.ROOT) + "_" + counter++;
        Message node = new Message();
        for (String input : inputs) {
            node.string(1, input);
        }
        node.string(2, output).string(3, output).string(4, op);
        for (Message attribute : attributes) {
            node.message(5, attribute);
        }
        nodes.add(node);
        return output;
    }

    /** A checkpoint tensor as an initializer, linear weights transposed to (in, out). */
    private String weight(String name, boolean transposed) {
        Tensor tensor = weights.tensors().get(name);
        if (tensor == null) {
            throw new CheckpointException(
                    "the checkpoint has no tensor "
                            + name
                            + ", which a "
                            + arch.depth()
                            + "-block ViT needs; export a merged (plain) checkpoint");
        }
        if (initializers.stream().noneMatch(i -> i.name.equals(name))) {
            long[] shape = tensor.shape();
            if (transposed) {
                if (shape.length != 2) {
                    throw new CheckpointException(
                            name + " has shape " + tensor.shapeString() + ", not (out, in)");
                }
                shape = new long[] {shape[1], shape[0]};
            }
            initializers.add(new Initializer(name, shape, tensor, transposed));
        }
        return name;
    }

    private String int64s(String name, long... values) {
        constants.computeIfAbsent(
                name,
                n ->
                        new Message()
                                .packedVarints(1, values.length)
                                .varint(2, INT64)
                                .string(8, n)
                                .packedVarints(7, values));
        return name;
    }

    private String int64Scalar(String name, long value) {
        constants.computeIfAbsent(
                name, n -> new Message().varint(2, INT64).string(8, n).packedVarints(7, value));
        return name;
    }

    private String floatScalar(String name, float value) {
        constants.computeIfAbsent(
                name,
                n ->
                        new Message()
                                .varint(2, FLOAT)
                                .string(8, n)
                                .bytes(
                                        9,
                                        ByteBuffer.allocate(4)
                                                .order(ByteOrder.LITTLE_ENDIAN)
                                                .putFloat(value)
                                                .array()));
        return name;
    }

    private static Message ints(String name, long... values) {
        return new Message().string(1, name).packedVarints(8, values).varint(20, 7);
    }

    private static Message integer(String name, long value) {
        return new Message().string(1, name).varint(3, value).varint(20, 2);
    }

    private static Message real(String name, float value) {
        return new Message().string(1, name).float32(2, value).varint(20, 1);
    }

    // ---- the file ----

    private void writeModel(OutputStream out, Map<String, String> metadata) throws IOException {
        Message head =
                new Message()
                        .varint(1, IR_VERSION)
                        .string(2, "glora")
                        .string(3, String.valueOf(Provenance.codeVersion()))
                        .message(8, new Message().string(1, "").varint(2, OPSET));
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            head.message(14, new Message().string(1, entry.getKey()).string(2, entry.getValue()));
        }
        out.write(head.toByteArray());

        Message graphHead = new Message();
        for (Message node : nodes) {
            graphHead.message(1, node);
        }
        graphHead.string(2, "glora_vit");
        for (Message constant : constants.values()) {
            graphHead.message(5, constant);
        }
        Message graphTail =
                new Message()
                        .message(
                                11,
                                valueInfo(
                                        INPUT,
                                        "batch",
                                        arch.inChans(),
                                        arch.imgSize(),
                                        arch.imgSize()))
                        .message(12, valueInfo(OUTPUT, "batch", arch.numClasses()));
        long graphLength = graphHead.size() + graphTail.size();
        List<byte[]> headers = new ArrayList<>();
        for (Initializer initializer : initializers) {
            Message header =
                    new Message()
                            .packedVarints(1, initializer.shape)
                            .varint(2, FLOAT)
                            .string(8, initializer.name);
            long dataBytes = 4L * initializer.source.data().length;
            byte[] headerBytes = header.toByteArray();
            byte[] dataPrefix = Protobuf.lengthPrefix(9, dataBytes);
            long messageLength = headerBytes.length + dataPrefix.length + dataBytes;
            byte[] prefix = Protobuf.lengthPrefix(5, messageLength);
            byte[] all = new byte[prefix.length + headerBytes.length + dataPrefix.length];
            System.arraycopy(prefix, 0, all, 0, prefix.length);
            System.arraycopy(headerBytes, 0, all, prefix.length, headerBytes.length);
            System.arraycopy(
                    dataPrefix, 0, all, prefix.length + headerBytes.length, dataPrefix.length);
            headers.add(all);
            graphLength += all.length + dataBytes;
        }
        if (graphLength >= Integer.MAX_VALUE) {
            throw new CheckpointException(
                    "the model's "
                            + graphLength
                            + " bytes exceed ONNX's single-file limit of 2 GiB"
                            + " (protocol buffers); a model this large needs ONNX's external-data layout, which this export"
                            + " does not write");
        }
        out.write(Protobuf.lengthPrefix(7, graphLength));
        out.write(graphHead.toByteArray());
        for (int i = 0; i < initializers.size(); i++) {
            out.write(headers.get(i));
            writeValues(out, initializers.get(i));
        }
        out.write(graphTail.toByteArray());
    }

    private static void writeValues(OutputStream out, Initializer initializer) throws IOException {
        float[] data = initializer.source.data();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        if (!initializer.transposed) {
            for (float value : data) {
                if (!buffer.hasRemaining()) {
                    out.write(buffer.array(), 0, buffer.position());
                    buffer.clear();
                }
                buffer.putFloat(value);
            }
        } else {
            int rows = (int) initializer.source.shape()[0];
            int cols = (int) initializer.source.shape()[1];
            for (int c = 0; c < cols; c++) {
                for (int r = 0; r < rows; r++) {
                    if (!buffer.hasRemaining()) {
                        out.write(buffer.array(), 0, buffer.position());
                        buffer.clear();
                    }
                    buffer.putFloat(data[r * cols + c]);
                }
            }
        }
        out.write(buffer.array(), 0, buffer.position());
    }

    private static Message valueInfo(String name, String batch, long... extents) {
        Message shape = new Message().message(1, new Message().string(2, batch));
        for (long extent : extents) {
            shape.message(1, new Message().varint(1, extent));
        }
        Message tensorType = new Message().varint(1, FLOAT).message(2, shape);
        return new Message().string(1, name).message(2, new Message().message(1, tensorType));
    }
}
