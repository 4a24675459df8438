package dev.glora.supernet.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.glora.supernet.eval.SubnetScorer;
import dev.glora.supernet.train.Trainees;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one text form of every closed set (issue 35). */
class ChoiceTest {

    @Test
    void aChoiceIsWrittenInLowerCaseAndReadInAnyCase() {
        assertEquals(
                List.of("uniform", "sandwich", "limited"), Choice.labels(Trainees.Sampling.class));
        assertEquals("fp16", SubnetScorer.Precision.FP16.label());
        assertEquals(Trainees.Sampling.SANDWICH, Choice.parse(Trainees.Sampling.class, "SandWich"));
        assertEquals(
                SubnetScorer.Precision.FP32, Choice.parse(SubnetScorer.Precision.class, "fp32"));
    }

    @Test
    void aWrongOneIsRefusedNamingTheAllowedValues() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Choice.parse(SubnetScorer.Precision.class, "bf16"));
        assertEquals("must be one of fp32, fp16, got bf16", e.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> Choice.parse(Trainees.Sampling.class, null));
    }
}
