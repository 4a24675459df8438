package dev.glora.api.system;

import dev.glora.api.jobs.PredictController;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Principal;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards the API, before anything reads a body:
 *
 * <ul>
 *   <li>its {@code Host} must name this service: a loopback name, or one of {@code
 *       glora.allowed-hosts} (421 otherwise; DNS rebinding), and a writing request that carries an
 *       {@code Origin} must come from this service's own origin (403);
 *   <li>a writing request must be one no cross-site form can send (a JSON or binary body, an {@code
 *       Authorization} header, or {@code X-Glora-Request});
 *   <li>with an API token configured, every request needs it, in {@code Authorization: Bearer} or,
 *       for reads only, in the dashboard's {@code SameSite=Strict} cookie {@code glora-token} (an
 *       {@code EventSource} cannot send headers). Open are the dashboard's static files, which hold
 *       no data, and the bare health status for probes; {@code glora.open-reads} opens every read;
 *   <li>request bodies over the size limit (model and data set uploads: their own, larger one) are
 *       refused before they are read.
 * </ul>
 *
 * <p>Refusals answer with a problem document. A caller that showed the token (or every caller, when
 * there is none: the service is then on loopback, see {@link ExposureCheck}) is passed on as an
 * authenticated principal, which is what shows health details.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE) // before Spring's form-content filter, which reads bodies
class AccessFilter extends OncePerRequestFilter {

    /**
     * The header a script sends to say a writing request is deliberate (no cross-site form can).
     */
    static final String DELIBERATE = "X-Glora-Request";

    /** The content types an HTML form on another site can send without the browser asking first. */
    private static final Set<String> FORM_TYPES =
            Set.of("application/x-www-form-urlencoded", "multipart/form-data", "text/plain");

    /** The cookie the dashboard keeps the token in, for reads. */
    static final String COOKIE = "glora-token";

    /** The dashboard's files: no data in them, and the page that asks for the token. */
    private static final Pattern STATIC =
            Pattern.compile("/|/(index|job)\\.html|/[a-z]+\\.(js|css)|/favicon\\.ico");

    /** The health status without details, for load balancers and container probes. */
    private static final Pattern HEALTH =
            Pattern.compile("/actuator/health(/liveness|/readiness)?");

    /** The endpoints that take large bodies, under their own limit. */
    private static final Set<String> UPLOADS = Set.of("/api/v1/models", "/api/v1/datasets");

    /** The prediction endpoints: images, under {@code PredictController.MAX_REQUEST_BYTES}. */
    private static final Pattern PREDICT =
            Pattern.compile("/api/v1/(jobs/[0-9]+|models/.+)/predict");

    private final GloraProperties properties;

    /** The API token, or null when the service runs without one. */
    private final String token;

    /** Whether the service listens on a loopback address only (the default). */
    private final boolean loopbackOnly;

    AccessFilter(
            GloraProperties properties,
            ApiToken token,
            @Value("${server.address:}") String address) {
        this.properties = properties;
        this.token = token.value();
        this.loopbackOnly = ExposureCheck.isLoopback(address);
    }

    /** The path that turns a token into the dashboard's cookie (POST) and removes it (DELETE). */
    static final String SESSION = "/api/v1/session";

    @Override
    protected void doFilterInternal(
            HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean writing =
                !HttpMethod.GET.matches(request.getMethod())
                        && !HttpMethod.HEAD.matches(request.getMethod())
                        && !HttpMethod.OPTIONS.matches(request.getMethod());
        String host = hostName(request.getHeader("Host"));
        if (!hostAllowed(host)) {
            problem(
                    response,
                    421,
                    "Misdirected Request",
                    "this service answers to localhost, 127.0.0.1 and [::1]"
                            + (properties.allowedHosts().isEmpty()
                                    ? ""
                                    : " and " + String.join(", ", properties.allowedHosts()))
                            + ", not to the host name this request carries; to reach it under another name, list that name"
                            + " in glora.allowed-hosts");
            return;
        }
        String origin = request.getHeader("Origin");
        if (writing && origin != null && !sameOrigin(origin, request.getHeader("Host"))) {
            problem(
                    response,
                    403,
                    "Forbidden",
                    "a writing request from a page of another origin is refused: its"
                            + " Origin must be this service's own");
            return;
        }
        if (writing && !deliberate(request)) {
            problem(
                    response,
                    403,
                    "Forbidden",
                    "a writing request must show it comes from a program, not a"
                            + " form on another web site: send Content-Type: application/json (the uploads:"
                            + " application/octet-stream), or the header '"
                            + DELIBERATE
                            + ": 1'");
            return;
        }
        String cookieName = COOKIE + "-" + request.getLocalPort();
        if (token != null
                && !writing
                && request.getParameter("token") != null
                && STATIC.matcher(request.getRequestURI()).matches()) {
            // the dashboard's link with the token (printed at start): it becomes a cookie, and the
            // address the browser keeps loses it
            if (same(request.getParameter("token"))) {
                setCookie(request, response, cookieName, token, -1);
            }
            response.setStatus(303);
            response.setHeader("Location", request.getRequestURI());
            return;
        }
        // the cookie stands for the token in reads, and in writes that say they are deliberate (a
        // header no cross-site form can send; SameSite=Strict keeps other sites' requests without
        // it)
        boolean cookie =
                cookieMatches(request.getCookies(), cookieName)
                        && (!writing || request.getHeader(DELIBERATE) != null);
        boolean authenticated =
                token == null || tokenMatches(request.getHeader("Authorization")) || cookie;
        if (!authenticated
                && (writing || !(properties.openReads() || open(request.getRequestURI())))) {
            problem(
                    response,
                    401,
                    "Unauthorized",
                    "this endpoint needs the header 'Authorization: Bearer <token>'"
                            + " with the service's API token (glora.api-token)");
            return;
        }
        long length = request.getContentLengthLong();
        boolean upload =
                HttpMethod.POST.matches(request.getMethod())
                        && UPLOADS.contains(request.getRequestURI());
        boolean predict =
                HttpMethod.POST.matches(request.getMethod())
                        && PREDICT.matcher(request.getRequestURI()).matches();
        long limit =
                upload
                        ? properties.maxUploadBytes()
                        : predict
                                ? PredictController.MAX_REQUEST_BYTES
                                : properties.maxRequestBytes();
        // An upload may stream without a length: the model and data libraries count its bytes
        // against the limit.
        if (length > limit
                || (length < 0
                        && writing
                        && !upload
                        && "chunked".equalsIgnoreCase(request.getHeader("Transfer-Encoding")))) {
            problem(
                    response,
                    413,
                    "Request too large",
                    (upload
                                    ? "uploads are limited to "
                                            + limit
                                            + " bytes (glora.max-upload-bytes)"
                                    : "request bodies are limited to " + limit + " bytes")
                            + (length < 0
                                    ? " and must state their Content-Length"
                                    : ", this one has " + length));
            return;
        }
        if (SESSION.equals(request.getRequestURI())) {
            if (HttpMethod.POST.matches(request.getMethod()) && token != null) {
                setCookie(request, response, cookieName, token, -1);
            } else if (HttpMethod.DELETE.matches(request.getMethod())) {
                setCookie(request, response, cookieName, "", 0);
            }
            response.setStatus(
                    HttpMethod.POST.matches(request.getMethod())
                                    || HttpMethod.DELETE.matches(request.getMethod())
                            ? 204
                            : 405);
            return;
        }
        chain.doFilter(authenticated ? new Authenticated(request) : request, response);
    }

    /**
     * The dashboard's cookie: unreadable by scripts ({@code HttpOnly}), never sent by another
     * site's request ({@code SameSite=Strict}), named by the service's port, since a cookie reaches
     * every port of its host.
     */
    private static void setCookie(
            HttpServletRequest request,
            HttpServletResponse response,
            String name,
            String value,
            int maxAge) {
        response.addHeader(
                "Set-Cookie",
                name
                        + "="
                        + value
                        + "; Path=/; HttpOnly; SameSite=Strict"
                        + (maxAge >= 0 ? "; Max-Age=" + maxAge : "")
                        + (request.isSecure() ? "; Secure" : ""));
    }

    /** The loopback names every request may carry in its {@code Host}. */
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1");

    /**
     * @param header a {@code Host} header
     * @return its host name, lower case, without port or IPv6 brackets; null when there is none
     */
    static String hostName(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /**
     * A name is allowed when it is a loopback name or listed in {@code glora.allowed-hosts} (or
     * that lists {@code *}); on an address other than loopback with no list, the API token guards
     * and any name is allowed. HTTP/1.0 requests without {@code Host} are allowed (no browser sends
     * those).
     */
    private boolean hostAllowed(String host) {
        if (host == null
                || LOOPBACK.contains(host)
                || properties.allowedHosts().contains("*")
                || properties.allowedHosts().contains(host)) {
            return true;
        }
        return properties.allowedHosts().isEmpty() && !loopbackOnly;
    }

    /**
     * @return whether an {@code Origin} names the scheme-less host and port of this request's
     *     {@code Host}
     */
    private static boolean sameOrigin(String origin, String hostHeader) {
        if (hostHeader == null) {
            return false;
        }
        try {
            URI uri = URI.create(origin.trim());
            if (uri.getHost() == null) {
                return false; // "null" (a sandboxed frame, a file) or garbage
            }
            String host = hostHeader.trim().toLowerCase(Locale.ROOT);
            String originHost = uri.getHost().toLowerCase(Locale.ROOT);
            String authority =
                    (originHost.contains(":") && !originHost.startsWith("[")
                                    ? "[" + originHost + "]"
                                    : originHost)
                            + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
            int defaultPort = "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            return authority.equals(host)
                    || (uri.getPort() < 0 && host.equals(authority + ":" + defaultPort))
                    || (uri.getPort() == defaultPort
                            && host.equals(authority.substring(0, authority.lastIndexOf(':'))));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean open(String path) {
        return STATIC.matcher(path).matches() || HEALTH.matcher(path).matches();
    }

    /** A request whose caller showed the token: a principal, in every role. */
    private static final class Authenticated
            extends jakarta.servlet.http.HttpServletRequestWrapper {

        private static final Principal API_CLIENT = () -> "api-client";

        Authenticated(HttpServletRequest request) {
            super(request);
        }

        @Override
        public Principal getUserPrincipal() {
            return API_CLIENT;
        }

        @Override
        public boolean isUserInRole(String role) {
            return true;
        }
    }

    private static boolean deliberate(HttpServletRequest request) {
        if (request.getHeader(DELIBERATE) != null || request.getHeader("Authorization") != null) {
            return true;
        }
        String type = request.getContentType();
        return type != null
                && !type.isBlank()
                && !FORM_TYPES.contains(type.split(";")[0].trim().toLowerCase(Locale.ROOT));
    }

    private boolean tokenMatches(String header) {
        return token != null
                && header != null
                && header.startsWith("Bearer ")
                && same(header.substring(7).trim());
    }

    private boolean cookieMatches(jakarta.servlet.http.Cookie[] cookies, String name) {
        if (cookies != null && token != null) {
            for (jakarta.servlet.http.Cookie cookie : cookies) {
                // compared as sent: the service sets it undecorated (a token is base64url), and a
                // malformed value is simply not the token (never a 500)
                if (name.equals(cookie.getName())
                        && cookie.getValue() != null
                        && same(cookie.getValue())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Compares in constant time. */
    private boolean same(String offered) {
        return MessageDigest.isEqual(
                offered.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private static void problem(
            HttpServletResponse response, int status, String title, String detail)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.getWriter()
                .write(
                        "{\"type\":\"about:blank\",\"title\":\""
                                + title
                                + "\",\"status\":"
                                + status
                                + ",\"detail\":\""
                                + detail.replace("\"", "'")
                                + "\"}");
    }
}
