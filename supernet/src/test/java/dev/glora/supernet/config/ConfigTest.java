package dev.glora.supernet.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

class ConfigTest {

    private static final List<String> LAYERS = List.of("blocks.0.attn.qkv", "blocks.0.attn.proj");

    @Test
    void parameterCountsFollowTheTableForEveryMode() {
        long out = 288;
        long in = 96;
        Map<String, Long> expected =
                Map.ofEntries(
                        Map.entry("A LoRA_4", 4 * (out + in)),
                        Map.entry("A vector", out),
                        Map.entry("A constant", 1L),
                        Map.entry("A none", 0L),
                        Map.entry("B LoRA_2", 2 * (out + in)),
                        Map.entry("B vector", out),
                        Map.entry("B constant", 1L),
                        Map.entry("B none", 0L),
                        Map.entry("C LoRA_4", 4 * (in + 1)),
                        Map.entry("C vector", in),
                        Map.entry("C none", 0L),
                        Map.entry("D vector", out),
                        Map.entry("D constant", 1L),
                        Map.entry("D none", 0L),
                        Map.entry("E vector", out),
                        Map.entry("E constant", 1L),
                        Map.entry("E none", 0L));
        expected.forEach(
                (key, count) -> {
                    String[] parts = key.split(" ");
                    assertEquals(
                            count,
                            Term.valueOf(parts[0]).parameterCount(Mode.parse(parts[1]), out, in),
                            key);
                });
        LayerConfig all = LayerConfig.of("LoRA_4", "vector", "LoRA_2", "constant", "vector");
        assertEquals(4 * (out + in) + out + 2 * (in + 1) + 1 + out, all.parameterCount(out, in));
        assertEquals(0, LayerConfig.FROZEN.parameterCount(out, in));
    }

    @Test
    void spaceSizesMatchTheModesPerTerm() {
        assertEquals(432, SearchSpace.ofRanks(4).size());
        assertEquals(5 * 5 * 4 * 3 * 3, SearchSpace.ofRanks(8, 4).size());
        assertEquals(
                SearchSpace.ofRanks(8, 4).size(),
                SearchSpace.ofRanks(8, 4).all().stream().distinct().count());
        assertEquals(8, SearchSpace.ofRanks(8, 4).supernetRank());
        assertEquals(
                List.of(Mode.lora(8), Mode.lora(4), Mode.VECTOR, Mode.NONE),
                SearchSpace.ofRanks(8, 4).modes(Term.C));
        assertThrows(ConfigException.class, () -> SearchSpace.ofRanks(4, 4));
        assertThrows(ConfigException.class, () -> SearchSpace.ofRanks(0));
    }

    @Test
    void samplingIsUniformOverAllCombinations() {
        SearchSpace space = SearchSpace.ofRanks(4);
        int perCell = 200;
        int draws = (int) space.size() * perCell;
        Map<LayerConfig, Integer> counts = new HashMap<>();
        SplittableRandom random = new SplittableRandom(2024);
        for (int i = 0; i < draws; i++) {
            counts.merge(space.sample(random), 1, Integer::sum);
        }
        assertEquals(432, counts.size(), "every combination must be reachable");
        double chiSquare = 0;
        for (int count : counts.values()) {
            chiSquare += Math.pow(count - perCell, 2) / perCell;
        }
        // 431 degrees of freedom: mean 431, sd ~29.4; 560 is beyond the 99.99th percentile.
        assertTrue(chiSquare < 560, "chi-square " + chiSquare + " says the draw is not uniform");
        assertTrue(chiSquare > 320, "chi-square " + chiSquare + " is too good to be random");
    }

    @Test
    void modeNamesUseTheReferenceSpellingAndAcceptScalar() {
        assertEquals(Mode.CONSTANT, Mode.parse("scalar"));
        assertEquals("constant", Mode.parse("scalar").toString());
        assertEquals("LoRA_16", Mode.parse("LoRA_16").toString());
        for (String bad : new String[] {"lora_4", "LoRA_0", "LoRA_", "LoRA_x", "vec", ""}) {
            ConfigException e = assertThrows(ConfigException.class, () -> Mode.parse(bad));
            assertTrue(e.getMessage().contains("unknown mode '" + bad + "'"), e.getMessage());
        }
        assertThrows(
                ConfigException.class,
                () -> LayerConfig.of("none", "none", "constant", "none", "none"));
        assertThrows(
                ConfigException.class,
                () -> LayerConfig.of("none", "none", "none", "LoRA_2", "none"));
    }

    @Test
    void jsonRoundTripKeepsLayerOrderAndExtras() {
        Map<String, LayerConfig> layers = new LinkedHashMap<>();
        layers.put(LAYERS.get(0), LayerConfig.of("LoRA_4", "vector", "none", "constant", "vector"));
        layers.put(LAYERS.get(1), LayerConfig.of("none", "scalar", "LoRA_2", "none", "none"));
        SubnetConfig config = new SubnetConfig(layers);
        String json = ConfigJson.format(config, Map.of("val_accuracy", 0.5));
        assertTrue(json.contains("\"format\": \"glora-config/1\""), json);
        assertTrue(json.contains("\"B\": \"constant\""), json);
        assertTrue(json.contains("\"val_accuracy\": 0.5"), json);
        SubnetConfig read = ConfigJson.parse(json, "c.json");
        assertEquals(config, read);
        assertEquals(LAYERS, List.copyOf(read.layers().keySet()));
    }

    @Test
    void badJsonIsAnErrorThatNamesTheEntryAndField() {
        String entry =
                "{\"layer\": \"blocks.0.attn.qkv\", \"A\": \"LoRA_4\", \"B\": \"none\", \"C\": \"none\","
                        + " \"D\": \"none\", \"E\": \"none\"}";
        assertError("{", "c.json: not valid JSON");
        assertError(
                "{\"format\": \"glora-config/2\", \"layers\": []}",
                "\"format\" must be \"glora-config/1\"");
        assertError(
                "{\"format\": \"glora-config/1\", \"layers\": {}}", "\"layers\" must be an array");
        assertError(
                "{\"format\": \"glora-config/1\", \"layers\": ["
                        + entry.replace("\"LoRA_4\"", "\"LoRA_four\"")
                        + "]}",
                "layers[0] (blocks.0.attn.qkv): unknown mode 'LoRA_four'");
        assertError(
                "{\"format\": \"glora-config/1\", \"layers\": ["
                        + entry.replace(", \"E\": \"none\"", "")
                        + "]}",
                "layers[0] (blocks.0.attn.qkv): field \"E\" must be a string");
        assertError(
                "{\"format\": \"glora-config/1\", \"layers\": [" + entry + "," + entry + "]}",
                "layers[1] (blocks.0.attn.qkv): layer listed twice");
    }

    private static void assertError(String json, String expected) {
        ConfigException e =
                assertThrows(ConfigException.class, () -> ConfigJson.parse(json, "c.json"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void fitCheckNamesUnknownAndMissingLayersAndRanksAboveTheSupernet() {
        Map<String, LayerConfig> layers = new LinkedHashMap<>();
        layers.put("blocks.0.attn.qkv", LayerConfig.of("LoRA_8", "none", "none", "none", "none"));
        layers.put("blocks.9.mlp.fc1", LayerConfig.FROZEN);
        ConfigException e =
                assertThrows(
                        ConfigException.class, () -> new SubnetConfig(layers).checkFits(LAYERS, 4));
        assertTrue(e.getMessage().contains("unknown layer blocks.9.mlp.fc1"), e.getMessage());
        assertTrue(e.getMessage().contains("missing layer blocks.0.attn.proj"), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains(
                                "layer blocks.0.attn.qkv term A: LoRA_8 is above the supernet rank 4"),
                e.getMessage());
        Assertions.assertDoesNotThrow(
                () ->
                        SubnetConfig.uniform(
                                        List.of(LAYERS.get(1), LAYERS.get(0)), LayerConfig.FROZEN)
                                .checkFits(LAYERS, 4),
                "every entry names its layer, so the order does not matter");
    }
}
