package dev.glora.api.system;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/**
 * Says once, on the console, where the dashboard is. With a token made in its file, the address
 * carries it (as notebook servers print theirs): opened, it becomes the dashboard's {@code
 * HttpOnly} cookie and leaves the address. It goes to standard output only, never through the
 * logging framework into log files; a configured token is never printed.
 */
@Component
class DashboardLink implements ApplicationListener<WebServerInitializedEvent> {

    private final ApiToken token;
    private final String address;

    DashboardLink(ApiToken token, @Value("${server.address:}") String address) {
        this.token = token;
        this.address = address;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getParent() != null
                && "management".equals(event.getApplicationContext().getId())) {
            return;
        }
        int port = event.getWebServer().getPort();
        String host =
                address == null || address.isBlank() || ExposureCheck.isLoopback(address)
                        ? "localhost"
                        : address;
        String base = "http://" + host + ":" + port + "/";
        if (token.value() == null) {
            System.out.println("dashboard: " + base + " (no API token: glora.require-token=false)");
        } else if (token.file() != null) {
            System.out.println(
                    "dashboard: "
                            + base
                            + "?token="
                            + token.value()
                            + "  (the API token is in "
                            + token.file().toAbsolutePath()
                            + "; curl -H @"
                            + ApiToken.headerFile(token.file().toAbsolutePath())
                            + " …)");
        } else {
            System.out.println("dashboard: " + base + " (give it the configured API token)");
        }
    }
}
