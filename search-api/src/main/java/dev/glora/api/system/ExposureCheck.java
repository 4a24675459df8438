package dev.glora.api.system;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Refuses to start a service that other machines can reach without an API token. The service
 * listens on 127.0.0.1 unless {@code server.address} says otherwise; on any other address, {@code
 * glora.api-token} must be set.
 */
@Component
class ExposureCheck {

    ExposureCheck(
            @Value("${server.address:}") String address,
            ApiToken token,
            @Value("${management.server.port:}") String managementPort) {
        requireTokenIfExposed(address, token.value());
        refuseSeparateManagementPort(managementPort);
    }

    /**
     * @param managementPort {@code management.server.port}, empty when not set
     * @throws IllegalStateException if it is set: the actuator would run on a server of its own,
     *     outside the access filter, its metrics and health details open to anyone who reaches it
     */
    static void refuseSeparateManagementPort(String managementPort) {
        if (managementPort != null && !managementPort.isBlank()) {
            throw new IllegalStateException(
                    "management.server.port "
                            + managementPort
                            + " would serve the actuator"
                            + " outside the service's access checks (token, Host allow-list): leave it unset, the actuator"
                            + " answers on the service's own port behind them");
        }
    }

    /**
     * @param address the address the service listens on (empty: every interface)
     * @param token the API token, or null
     * @throws IllegalStateException if the address is not loopback and there is no token
     */
    static void requireTokenIfExposed(String address, String token) {
        if (token == null && !isLoopback(address)) {
            throw new IllegalStateException(
                    "server.address "
                            + (address == null || address.isBlank() ? "(every interface)" : address)
                            + " lets other machines reach the service, which needs an API"
                            + " token then: leave glora.require-token on (a token is made in glora.api-token-file), or set"
                            + " glora.api-token (environment GLORA_API_TOKEN), or listen on 127.0.0.1");
        }
    }

    static boolean isLoopback(String address) {
        if (address == null || address.isBlank()) {
            return false;
        }
        try {
            return InetAddress.getByName(address.trim()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
