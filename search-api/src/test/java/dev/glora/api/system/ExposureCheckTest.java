package dev.glora.api.system;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The service listens on loopback by default, and refuses to be reachable from outside without a
 * token.
 */
class ExposureCheckTest {

    @Test
    void theDefaultAddressIsLoopback() throws IOException {
        Properties properties = new Properties();
        try (InputStream in =
                ExposureCheckTest.class.getResourceAsStream("/application.properties")) {
            properties.load(in);
        }
        assertTrue(
                ExposureCheck.isLoopback(properties.getProperty("server.address")),
                properties.getProperty("server.address"));
    }

    @Test
    void aNonLoopbackAddressWithoutATokenIsRefused() {
        for (String loopback : new String[] {"127.0.0.1", "::1", "localhost"}) {
            assertDoesNotThrow(() -> ExposureCheck.requireTokenIfExposed(loopback, null), loopback);
        }
        for (String exposed : new String[] {"0.0.0.0", "::", "", "10.1.2.3"}) {
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> ExposureCheck.requireTokenIfExposed(exposed, null),
                            exposed);
            assertTrue(e.getMessage().contains("glora.api-token"), e.getMessage());
            assertDoesNotThrow(
                    () -> ExposureCheck.requireTokenIfExposed(exposed, "secret"), exposed);
        }
    }

    /** Issue 31: a separate management port would serve the actuator outside the access filter. */
    @Test
    void aSeparateManagementPortIsRefused() {
        assertDoesNotThrow(() -> ExposureCheck.refuseSeparateManagementPort(""));
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> ExposureCheck.refuseSeparateManagementPort("9090"));
        assertTrue(e.getMessage().contains("outside the service's access checks"), e.getMessage());
    }
}
