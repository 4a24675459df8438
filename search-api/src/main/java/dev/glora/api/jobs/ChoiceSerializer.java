package dev.glora.api.jobs;

import dev.glora.supernet.config.Choice;
import org.springframework.boot.jackson.JacksonComponent;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ser.std.StdSerializer;

/**
 * Every enum of choices in a REST reply is written as its label ({@code pareto}, {@code plain}),
 * the text a job's spec and the command line read, as the stored specs have it ({@link Choice}).
 */
@JacksonComponent
public class ChoiceSerializer extends StdSerializer<Choice> {

    /** The serializer Spring registers with its JSON mapper. */
    public ChoiceSerializer() {
        super(Choice.class);
    }

    @Override
    public void serialize(Choice value, JsonGenerator out, SerializationContext context) {
        out.writeString(value.label());
    }
}
