package dev.glora.api.system;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Refuses to start a service that other machines can reach without an API token. The service
 * listens on 127.0.0.1 unless {@code server.address} says otherwise; on any other address,
 * {@code glora.api-token} must be set.
 */
@Component
class ExposureCheck {

    ExposureCheck(@Value("${server.address:}") String address, ApiToken token) {
        requireTokenIfExposed(address, token.value());
    }

    /**
     * @param address the address the service listens on (empty: every interface)
     * @param token the API token, or null
     * @throws IllegalStateException if the address is not loopback and there is no token
     */
    static void requireTokenIfExposed(String address, String token) {
        if (token == null && !isLoopback(address)) {
            throw new IllegalStateException("server.address " + (address == null || address.isBlank()
                    ? "(every interface)" : address) + " lets other machines reach the service, which needs an API"
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
