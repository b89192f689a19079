package io.gradscale.cli.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradscale.train.MetricsLog;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server over plain HTTP: routes, the event stream of a followed run, and a browser that stops reading. */
class LiveServerTest {
    private static final Provenance PROV = new Provenance(null, 1, "t", "25", "m", 1, 1, "scalar", "now");
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();

    private static StepRecord step(long i) {
        return new StepRecord(i, 0, 1.0 / (i + 1), 0.1, i, 1 + (i % 7), false, Map.of(), Map.of("clip_global_norm.norm", 1.0),
                Map.of());
    }

    private void writeLog(MetricsLog log, long from, long to) {
        for (long i = from; i < to; i++) {
            log.onStep(step(i));
        }
        log.flush();
    }

    @Test
    void routesAndTheStreamOfAFinishedRun() throws Exception {
        try (MetricsLog log = new MetricsLog(dir.resolve(MetricsLog.FILE_NAME), PROV, 1)) {
            writeLog(log, 0, 50);
        }
        Files.writeString(dir.resolve("diagnosis.json"), "[]");
        try (LiveServer server = LiveServer.forRunDir(LiveServer.DEFAULT_BIND, 0, "t", dir)) {
            HttpResponse<String> page = get(server, "/");
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("<title>gradscale live: t</title>") && page.body().contains("new EventSource("), "not the live page");
            assertEquals(404, get(server, "/metrics.jsonl").statusCode(), "only the page and the stream are served");
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(server.url())).timeout(WAIT)
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            JsonNode update = PageCopy.follow(server.url(), WAIT, u -> u.get("finished").asBoolean());
            assertEquals(49, update.get("step").asInt());
            assertEquals(50, update.get("steps").get("rows").get(0).size());
            assertTrue(update.get("status").asText().startsWith("finished"), update.get("status").asText());
        }
    }

    /**
     * A browser that stops reading (its socket buffers fill) costs the other browsers nothing; the server drops
     * what it queued for it beyond its bound instead of holding every update.
     */
    @Test
    void aStalledBrowserDoesNotHoldUpAnother() throws Exception {
        try (MetricsLog log = new MetricsLog(dir.resolve(MetricsLog.FILE_NAME), PROV, 1);
             LiveServer server = LiveServer.forRunDir(LiveServer.DEFAULT_BIND, 0, "t", dir);
             Socket stalled = new Socket("127.0.0.1", server.port())) {
            stalled.setReceiveBufferSize(1024);
            OutputStream o = stalled.getOutputStream();
            o.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            // many updates go unread by the stalled browser
            for (int round = 0; round < 6; round++) {
                writeLog(log, round * 1000L, (round + 1) * 1000L);
                Thread.sleep(LiveServer.PUBLISH_INTERVAL_MILLIS);
            }
            JsonNode update = PageCopy.follow(server.url(), WAIT, u -> u.get("step").asInt() == 5999);
            assertEquals(5999, update.get("step").asInt());
        }
    }

    private HttpResponse<String> get(LiveServer server, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(server.url()).resolve(path)).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
