package dev.glora.worker;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Serves a worker's metrics in Prometheus' text format at {@code GET /metrics} (the JDK's own HTTP
 * server, one thread): what {@code glora worker --metrics-port} starts for a scraper. Nothing else
 * is served; anything but GET or HEAD is refused. It binds the loopback address unless told
 * otherwise (a container sets {@code 0.0.0.0} so that the cluster's scraper reaches it).
 */
public final class MetricsServer implements AutoCloseable {

    /** Prometheus' text exposition format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /**
     * Starts serving.
     *
     * @param registry the worker's meters
     * @param address the address to bind (loopback by default)
     * @param port the port; 0 picks a free one
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static MetricsServer start(
            PrometheusMeterRegistry registry, InetAddress address, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 16);
        server.createContext(
                "/",
                exchange -> {
                    try (exchange) {
                        String method = exchange.getRequestMethod();
                        if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                            exchange.sendResponseHeaders(404, -1);
                            return;
                        }
                        if (!method.equals("GET") && !method.equals("HEAD")) {
                            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                            exchange.sendResponseHeaders(405, -1);
                            return;
                        }
                        byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
                        exchange.sendResponseHeaders(200, method.equals("HEAD") ? -1 : body.length);
                        if (method.equals("GET")) {
                            try (OutputStream out = exchange.getResponseBody()) {
                                out.write(body);
                            }
                        }
                    }
                });
        server.setExecutor(null); // the server's own single thread
        server.start();
        return new MetricsServer(server);
    }

    /**
     * @return the port it listens on
     */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
