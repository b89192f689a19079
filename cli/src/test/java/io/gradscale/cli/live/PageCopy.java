package io.gradscale.cli.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.train.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * What a page holds of the live state, kept the way live.js keeps it: a full state replaces it, a delta whose
 * number follows is applied to it (table rows kept by {@code keep}, new rows, evaluations and events appended,
 * cards and sections merged), and a delta that does not follow is refused (the page then connects again).
 */
final class PageCopy {
    private ObjectNode state;

    /** The state of a full message: the message without its kind. */
    static ObjectNode stateOf(JsonNode full) {
        ObjectNode s = full.deepCopy();
        s.remove("kind");
        return s;
    }

    /** Parses one server-sent event as LiveState writes it ({@code event: update\ndata: JSON\n\n}). */
    static JsonNode parse(byte[] event) throws IOException {
        String text = new String(event, StandardCharsets.UTF_8);
        String prefix = "event: update\ndata: ";
        if (!text.startsWith(prefix) || !text.endsWith("\n\n") || text.indexOf('\n', prefix.length()) != text.length() - 2) {
            throw new AssertionError("not one update event: " + text.substring(0, Math.min(200, text.length())));
        }
        return Json.mapper().readTree(text.substring(prefix.length(), text.length() - 2));
    }

    /** Applies a message; false (and nothing changed) when it is a delta that does not follow the last one. */
    boolean apply(JsonNode m) {
        if ("full".equals(m.get("kind").asText())) {
            state = stateOf(m);
            return true;
        }
        if (state == null || m.get("seq").asLong() != state.get("seq").asLong() + 1) {
            return false;
        }
        for (String f : new String[] {"seq", "finished", "status", "step"}) {
            state.set(f, m.get(f));
        }
        table((ObjectNode) state.get("steps"), m.get("steps"));
        table((ObjectNode) state.get("acts"), m.get("acts"));
        for (String f : new String[] {"evals", "events"}) {
            if (m.has(f)) {
                ((ArrayNode) state.get(f)).addAll((ArrayNode) m.get(f));
            }
        }
        if (m.has("charts")) {
            state.set("charts", m.get("charts"));
            merge((ObjectNode) state.get("cards"), m.get("cards"));
        }
        merge((ObjectNode) state.get("sections"), m.get("sections"));
        return true;
    }

    private static void table(ObjectNode table, JsonNode delta) {
        if (delta == null) {
            return;
        }
        ArrayNode rows = (ArrayNode) table.get("rows");
        for (int c = 0; c < rows.size(); c++) {
            ArrayNode col = (ArrayNode) rows.get(c);
            if (delta.has("keep")) {
                ArrayNode kept = col.arrayNode();
                delta.get("keep").forEach(k -> kept.add(col.get(k.asInt())));
                rows.set(c, kept);
            }
            ((ArrayNode) rows.get(c)).addAll((ArrayNode) delta.get("rows").get(c));
        }
    }

    private static void merge(ObjectNode into, JsonNode from) {
        for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            into.set(e.getKey(), e.getValue());
        }
    }

    JsonNode state() {
        return state;
    }

    /**
     * Follows a live server's event stream as a page does until the state it holds satisfies {@code until}, and
     * returns that state; fails when a delta does not follow its predecessor (a server that skips a number) or
     * nothing satisfies {@code until} within {@code wait}.
     */
    static JsonNode follow(String url, Duration wait, Predicate<JsonNode> until) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(wait).build();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url).resolve("/events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (!"text/event-stream; charset=utf-8".equals(r.headers().firstValue("content-type").orElse(""))) {
            throw new AssertionError("not an event stream: " + r.headers());
        }
        PageCopy page = new PageCopy();
        long deadline = System.nanoTime() + wait.toNanos();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String event = "";
            for (String line; (line = in.readLine()) != null && System.nanoTime() < deadline; ) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ") && event.equals("update")) {
                    JsonNode m = Json.mapper().readTree(line.substring(6));
                    if (!page.apply(m)) {
                        throw new AssertionError("update " + m.get("seq") + " does not follow " + page.state().get("seq"));
                    }
                    if (until.test(page.state())) {
                        return page.state();
                    }
                }
            }
        }
        throw new AssertionError("no such state within " + wait.toSeconds() + " s");
    }
}
