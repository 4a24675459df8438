package dev.glora.supernet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.glora.supernet.vit.VitArchitecture;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreprocessTest {

    private static VitArchitecture arch(int size, int channels, float mean, float std) {
        float[] m = new float[channels];
        float[] s = new float[channels];
        Arrays.fill(m, mean);
        Arrays.fill(s, std);
        return new VitArchitecture(size, 2, channels, 4, 1, 1, 1.0, 2, true, m, s);
    }

    private static ImageDataset one(Image image) {
        return new ImageDataset("one", List.of(image), new int[] {0}, List.of("one:1"));
    }

    @Test
    void scalesToUnitRangeThenNormalisesWithTheModelsMeanAndStd() {
        Image image = new Image(1, 2, 2, new byte[] {0, (byte) 255, 51, (byte) 204});
        float[] out = new Preprocess(arch(2, 1, 0.5f, 0.25f)).batch(one(image), new int[] {0});
        assertArrayEquals(new float[] {-2f, 2f, -1.2f, 1.2f}, out, 1e-6f);
    }

    @Test
    void greyBecomesRgbAndRgbBecomesGrey() {
        Image grey = new Image(1, 2, 2, new byte[] {10, 20, 30, 40});
        float[] rgb = new Preprocess(arch(2, 3, 0f, 1f)).batch(one(grey), new int[] {0});
        for (int c = 0; c < 3; c++) {
            assertEquals(20 / 255f, rgb[c * 4 + 1], 1e-6f);
        }
        Image colour = new Image(3, 2, 2, new byte[] {100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 100, 0});
        float[] luma = new Preprocess(arch(2, 1, 0f, 1f)).batch(one(colour), new int[] {0});
        assertArrayEquals(new float[] {30 / 255f, 59 / 255f, 11 / 255f, 0f}, luma, 1e-6f);
    }

    @Test
    void resizesByAreaWhenShrinkingAndBilinearlyWhenEnlarging() {
        Image image = new Image(1, 2, 4, new byte[] {0, 100, 40, 40, 100, 0, 80, 80});
        Image half = image.resized(1, 2);
        assertArrayEquals(new byte[] {50, 60}, half.pixels());
        Image twice = new Image(1, 1, 2, new byte[] {0, 100}).resized(1, 4);
        assertArrayEquals(new byte[] {0, 25, 75, 100}, twice.pixels());
        float[] fitted =
                new Preprocess(arch(2, 1, 0f, 1f))
                        .batch(one(IdxFiles.pattern(0, 4)), new int[] {0});
        assertEquals(4, fitted.length);
    }
}
