package dev.glora.supernet.onnx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The few parts of the protocol-buffer wire format an ONNX file needs: varints, length-delimited
 * fields and packed 64-bit integers. A message is built in memory with {@link Message}; a large
 * tensor's bytes are never held here but streamed after the header {@link #lengthPrefix} writes.
 */
final class Protobuf {

    private Protobuf() {}

    /** Wire type 0: a varint. */
    static final int VARINT = 0;

    /** Wire type 2: a length-delimited field (bytes, strings, messages, packed repeats). */
    static final int LENGTH_DELIMITED = 2;

    /** Wire type 5: 32 bits. */
    static final int FIXED32 = 5;

    /** A message under construction. */
    static final class Message {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Message varint(int field, long value) {
            tag(bytes, field, VARINT);
            writeVarint(bytes, value);
            return this;
        }

        Message string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Message bytes(int field, byte[] value) {
            tag(bytes, field, LENGTH_DELIMITED);
            writeVarint(bytes, value.length);
            bytes.writeBytes(value);
            return this;
        }

        Message message(int field, Message value) {
            return bytes(field, value.toByteArray());
        }

        Message float32(int field, float value) {
            tag(bytes, field, FIXED32);
            int bits = Float.floatToRawIntBits(value);
            for (int i = 0; i < 4; i++) {
                bytes.write(bits >>> (8 * i));
            }
            return this;
        }

        Message packedVarints(int field, long... values) {
            ByteArrayOutputStream packed = new ByteArrayOutputStream();
            for (long value : values) {
                writeVarint(packed, value);
            }
            return bytes(field, packed.toByteArray());
        }

        int size() {
            return bytes.size();
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }

    /**
     * Writes a length-delimited field's tag and length; its {@code length} bytes must follow.
     *
     * @return the bytes written
     */
    static byte[] lengthPrefix(int field, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        tag(out, field, LENGTH_DELIMITED);
        writeVarint(out, length);
        return out.toByteArray();
    }

    static void tag(OutputStream out, int field, int wireType) {
        writeVarint(out, ((long) field << 3) | wireType);
    }

    static void writeVarint(OutputStream out, long value) {
        try {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
