package io.gradscale.cli.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.train.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debian's headless Chromium driven through the DevTools protocol (JSON over a WebSocket, the JDK's own
 * client): open tabs, evaluate script in them, reload, close, take screenshots, while the page stays open
 * (a page with an open event stream never "finishes loading", so --dump-dom cannot watch it).
 */
final class Chromium implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/chromium");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = Json.mapper();

    private final Process process;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String endpoint;

    Chromium(Path profile, Path log) throws IOException, InterruptedException {
        process = new ProcessBuilder(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
                "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1400,2600",
                "--user-data-dir=" + profile, "about:blank")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                close();
                throw new IOException("chromium did not open its DevTools port; its output: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        endpoint = "http://127.0.0.1:" + Files.readAllLines(portFile).getFirst().trim();
    }

    /** Opens a new tab at {@code url}: a blank tab first, connected to, then navigated. */
    Tab open(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(endpoint + "/json/new?about:blank"))
                .PUT(HttpRequest.BodyPublishers.noBody()).timeout(CALL_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode target = JSON.readTree(r.body());
        Tab tab = new Tab(target.get("id").asText(), target.get("webSocketDebuggerUrl").asText());
        tab.call("Page.navigate", JSON.createObjectNode().put("url", url));
        return tab;
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One tab and its DevTools connection. */
    final class Tab implements WebSocket.Listener {
        private final String id;
        private final WebSocket socket;
        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        private final StringBuilder frame = new StringBuilder();

        private Tab(String id, String ws) throws Exception {
            this.id = id;
            this.socket = http.newWebSocketBuilder().connectTimeout(CALL_TIMEOUT).buildAsync(URI.create(ws), this)
                    .get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }

        /** The value of a script expression (a string, number or boolean), as JSON. */
        JsonNode eval(String expression) throws Exception {
            ObjectNode params = JSON.createObjectNode().put("expression", expression).put("returnByValue", true);
            JsonNode r = call("Runtime.evaluate", params);
            if (r.has("exceptionDetails")) {
                throw new AssertionError("script failed: " + expression + ": " + r.get("exceptionDetails"));
            }
            return r.path("result").path("value");
        }

        /**
         * Waits until {@code expression} is true in the page (a script error counts as not yet: the page may
         * still be loading), or fails with what {@code describe} says.
         */
        void await(String expression, Duration timeout, String describe) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    if (eval(expression).asBoolean(false)) {
                        return;
                    }
                } catch (AssertionError notYet) {
                    if (System.nanoTime() > deadline) {
                        throw notYet;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for: " + expression
                            + "; the page: " + eval(describe));
                }
                Thread.sleep(100);
            }
        }

        /** Makes this the tab the user looks at (the page skips drawing while its tab is hidden). */
        void front() throws Exception {
            call("Page.bringToFront", JSON.createObjectNode());
        }

        void reload() throws Exception {
            call("Page.reload", JSON.createObjectNode());
        }

        void screenshot(Path file) throws Exception {
            JsonNode r = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png").put("captureBeyondViewport", true));
            Files.write(file, Base64.getDecoder().decode(r.get("data").asText()));
        }

        /** Closes the tab, as a user closing it: its connections to the page's server go away. */
        void close() throws IOException, InterruptedException {
            socket.abort();
            http.send(HttpRequest.newBuilder(URI.create(endpoint + "/json/close/" + id)).timeout(CALL_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        private JsonNode call(String method, ObjectNode params) throws Exception {
            int n = ids.incrementAndGet();
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            pending.put(n, f);
            ObjectNode msg = JSON.createObjectNode().put("id", n).put("method", method);
            msg.set("params", params);
            socket.sendText(JSON.writeValueAsString(msg), true).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            JsonNode r = f.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (r.has("error")) {
                throw new AssertionError(method + " failed: " + r.get("error"));
            }
            return r.path("result");
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            frame.append(data);
            if (last) {
                try {
                    JsonNode m = JSON.readTree(frame.toString());
                    CompletableFuture<JsonNode> f = m.has("id") ? pending.remove(m.get("id").asInt()) : null;
                    if (f != null) {
                        f.complete(m);
                    }
                } catch (IOException e) {
                    pending.values().forEach(f -> f.completeExceptionally(e));
                }
                frame.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }
}
