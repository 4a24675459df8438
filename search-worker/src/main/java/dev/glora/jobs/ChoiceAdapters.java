package dev.glora.jobs;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.TypeAdapterFactory;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import dev.glora.supernet.config.Choice;
import java.io.IOException;
import java.util.Locale;

/**
 * Gson's form of every enum of choices ({@link Choice}) in a spec: written as its label ({@code
 * pareto}), read from a string in any case, and a wrong one refused naming the allowed values, so a
 * spec stored before its fields were enums reads back unchanged.
 */
final class ChoiceAdapters implements TypeAdapterFactory {

    /** A value that is none of its field's choices; the message names them. */
    static final class BadChoice extends JsonParseException {
        private static final long serialVersionUID = 1L;

        BadChoice(String message) {
            super(message);
        }
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public <T> TypeAdapter<T> create(Gson gson, TypeToken<T> type) {
        Class<?> raw = type.getRawType();
        if (!raw.isEnum() || !Choice.class.isAssignableFrom(raw)) {
            return null;
        }
        return (TypeAdapter<T>) adapter((Class) raw);
    }

    private static <E extends Enum<E> & Choice> TypeAdapter<E> adapter(Class<E> type) {
        return new TypeAdapter<E>() {
            @Override
            public void write(JsonWriter out, E value) throws IOException {
                if (value == null) {
                    out.nullValue();
                } else {
                    out.value(value.label());
                }
            }

            @Override
            public E read(JsonReader in) throws IOException {
                JsonToken token = in.peek();
                if (token == JsonToken.NULL) {
                    in.nextNull();
                    return null;
                }
                if (token != JsonToken.STRING) {
                    throw new BadChoice(
                            "must be one of "
                                    + String.join(", ", Choice.labels(type))
                                    + " (a string), got "
                                    + token.name().toLowerCase(Locale.ROOT));
                }
                String text = in.nextString();
                try {
                    return Choice.parse(type, text);
                } catch (IllegalArgumentException e) {
                    throw new BadChoice(e.getMessage());
                }
            }
        };
    }
}
