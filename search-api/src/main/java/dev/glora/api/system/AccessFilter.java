package dev.glora.api.system;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards the API, before anything reads a body: a writing request must be one no cross-site form
 * can send (a JSON or binary body, an {@code Authorization} header, or {@code X-Glora-Request}),
 * it needs the API token when one is configured, and request bodies
 * over the size limit (model uploads: their own, larger one) are refused before they are read. Both answer with a problem document.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE) // before Spring's form-content filter, which reads bodies
class AccessFilter extends OncePerRequestFilter {

    /** The header a script sends to say a writing request is deliberate (no cross-site form can). */
    static final String DELIBERATE = "X-Glora-Request";

    /** The content types an HTML form on another site can send without the browser asking first. */
    private static final Set<String> FORM_TYPES = Set.of("application/x-www-form-urlencoded", "multipart/form-data",
            "text/plain");

    /** The one endpoint that takes large bodies, under its own limit. */
    private static final String UPLOAD = "/api/v1/models";

    private final GloraProperties properties;

    AccessFilter(GloraProperties properties) {
        this.properties = properties;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean writing = !HttpMethod.GET.matches(request.getMethod()) && !HttpMethod.HEAD.matches(request.getMethod())
                && !HttpMethod.OPTIONS.matches(request.getMethod());
        if (writing && !deliberate(request)) {
            problem(response, 403, "Forbidden", "a writing request must show it comes from a program, not a"
                    + " form on another web site: send Content-Type: application/json (the uploads:"
                    + " application/octet-stream), or the header '" + DELIBERATE + ": 1'");
            return;
        }
        if (writing && properties.apiToken() != null && !tokenMatches(request.getHeader("Authorization"))) {
            problem(response, 401, "Unauthorized", "this endpoint needs the header 'Authorization: Bearer <token>'"
                    + " with the service's API token (glora.api-token)");
            return;
        }
        long length = request.getContentLengthLong();
        boolean upload = HttpMethod.POST.matches(request.getMethod()) && UPLOAD.equals(request.getRequestURI());
        long limit = upload ? properties.maxUploadBytes() : properties.maxRequestBytes();
        // An upload may stream without a length: the model library counts its bytes against the limit.
        if (length > limit || (length < 0 && writing && !upload
                && "chunked".equalsIgnoreCase(request.getHeader("Transfer-Encoding")))) {
            problem(response, 413, "Request too large", (upload ? "uploads are limited to " + limit
                    + " bytes (glora.max-upload-bytes)" : "request bodies are limited to " + limit + " bytes")
                    + (length < 0 ? " and must state their Content-Length" : ", this one has " + length));
            return;
        }
        chain.doFilter(request, response);
    }

    private static boolean deliberate(HttpServletRequest request) {
        if (request.getHeader(DELIBERATE) != null || request.getHeader("Authorization") != null) {
            return true;
        }
        String type = request.getContentType();
        return type != null && !type.isBlank()
                && !FORM_TYPES.contains(type.split(";")[0].trim().toLowerCase(Locale.ROOT));
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
