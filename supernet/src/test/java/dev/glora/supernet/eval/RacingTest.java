package dev.glora.supernet.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RacingTest {

    @Test
    void theExactBoundStopsOnlyWhenBeatingIsImpossible() {
        Racing exact = new Racing(Racing.Bound.EXACT, 0, 50);
        // 200 images, bar 85 % = 170 right: after 100 images, 69 right can reach at most 169
        assertTrue(exact.cannotBeat(69, 100, 200, 0.85));
        assertFalse(exact.cannotBeat(70, 100, 200, 0.85));
        assertFalse(exact.cannotBeat(0, 200, 200, 0.85), "a finished candidate is never stopped");
        assertFalse(Racing.OFF.cannotBeat(0, 100, 200, 0.85));
    }

    @Test
    void theHoeffdingBoundUsesTheFinitePopulationCorrection() {
        Racing hoeffding = new Racing(Racing.Bound.HOEFFDING, 0.01, 50);
        double epsilon = Math.sqrt((1 - 49.0 / 200) * Math.log(100) / 100);
        assertEquals(0.1865, epsilon, 1e-4);
        // after 50 images: stop below 0.85 - epsilon
        assertTrue(hoeffding.cannotBeat(33, 50, 200, 0.85));
        assertFalse(hoeffding.cannotBeat(34, 50, 200, 0.85));
    }
}
