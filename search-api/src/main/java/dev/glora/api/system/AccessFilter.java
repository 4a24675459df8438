package dev.glora.api.system;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards the API: writing requests need the API token when one is configured, and request bodies
 * over the size limit are refused before they are read. Both answer with a problem document.
 */
@Component
class AccessFilter extends OncePerRequestFilter {

    private final GloraProperties properties;

    AccessFilter(GloraProperties properties) {
        this.properties = properties;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean writing = !HttpMethod.GET.matches(request.getMethod()) && !HttpMethod.HEAD.matches(request.getMethod())
                && !HttpMethod.OPTIONS.matches(request.getMethod());
        if (writing && properties.apiToken() != null && !tokenMatches(request.getHeader("Authorization"))) {
            problem(response, 401, "Unauthorized", "this endpoint needs the header 'Authorization: Bearer <token>'"
                    + " with the service's API token (glora.api-token)");
            return;
        }
        long length = request.getContentLengthLong();
        if (length > properties.maxRequestBytes() || (length < 0 && writing
                && "chunked".equalsIgnoreCase(request.getHeader("Transfer-Encoding")))) {
            problem(response, 413, "Request too large", "request bodies are limited to " + properties.maxRequestBytes()
                    + " bytes" + (length < 0 ? " and must state their Content-Length" : ", this one has " + length));
            return;
        }
        chain.doFilter(request, response);
    }

    private boolean tokenMatches(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8),
                properties.apiToken().getBytes(StandardCharsets.UTF_8));
    }

    private static void problem(HttpServletResponse response, int status, String title, String detail)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail.replace("\"", "'") + "\"}");
    }
}
