package io.gradscale.cli.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradscale.diag.Verdict;
import io.gradscale.train.ActivationStats;
import io.gradscale.train.EvalRecord;
import io.gradscale.train.EventRecord;
import io.gradscale.train.Json;
import io.gradscale.train.LayerStats;
import io.gradscale.train.Provenance;
import io.gradscale.train.StepRecord;
import io.gradscale.train.TestRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The live page's state, kept up to date record by record, and sent to the page either whole ({@link #full})
 * or as what changed since the previous message ({@link #delta}), each tagged with a sequence number.
 *
 * <p>The state: the run's structure (layer, transform and activation names, the fixed clipping thresholds);
 * a table of the charted steps, one column each for step, loss, learning rate, global gradient norm, flags
 * ({@link #CLIPPED}, {@link #SKIPPED}, {@link #SAMPLED}), then per layer the log10 of its gradient norm and its
 * log10 update ratio, then per transform metric its value; a table of the steps with activation statistics
 * (step, then per layer its dead and saturated fractions); the evaluations ({@code [step, train loss,
 * validation loss, validation accuracy]}) and events ({@code [step, kind]}); the charts that have data and
 * their cards; the HTML of the diagnosis, summary, provenance and event sections ({@link PageSections}, the
 * report's markup); the status line. Non-finite numbers are JSON {@code null}.
 *
 * <p>The tables hold at most {@link #MAX_ROWS} rows, halved when they pass it ({@link LiveColumns}); a delta
 * carries only the indices of the surviving rows and the new rows. So a delta's size depends on what happened
 * since the previous one, not on the run's length, and the page's work per update likewise. A change of
 * structure (a new layer or metric, a reset) cannot be a delta: the next message is a full state for every
 * page. Message {@code n} is exactly message {@code n - 1}'s state with delta {@code n} applied (live.js does
 * so; LiveStateTest checks it); a page that sees a gap in the numbers asks for the full state again.
 *
 * <p>Not thread-safe: owned by the live server's publishing thread. Messages are server-sent events
 * ({@code event: update}), written into one reused buffer.
 */
public final class LiveState {
    /** Most rows a table holds: the steps a live chart is sent. */
    public static final int MAX_ROWS = LivePage.MAX_CHART_STEPS;

    /** Columns of the step table before the per-layer ones. */
    static final int STEP = 0;
    static final int LOSS = 1;
    static final int LR = 2;
    static final int GRAD_NORM = 3;
    static final int FLAGS = 4;
    static final int FIXED_COLUMNS = 5;
    /** Bits of the flags column. */
    static final int CLIPPED = 1;
    static final int SKIPPED = 2;
    static final int SAMPLED = 4;

    /** The section ids the page replaces, in page order. */
    static final List<String> SECTIONS = List.of("verdicts", "summary", "provenance", "events");

    private static final byte[] EVENT_START = "event: update\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private final List<String> layers = new ArrayList<>();
    private final List<String> transforms = new ArrayList<>();
    private final List<String> activations = new ArrayList<>();
    private final List<String> activationKinds = new ArrayList<>();
    private JsonNode clipLimits = JsonNodeFactory.instance.arrayNode();
    private LiveColumns steps = new LiveColumns(FIXED_COLUMNS, MAX_ROWS);
    private LiveColumns acts = new LiveColumns(1, MAX_ROWS);
    // where each layer's two columns and each transform metric's column are in the step table, and the page's order
    private final List<Integer> layerColumns = new ArrayList<>();
    private final List<Integer> transformColumns = new ArrayList<>();
    private int[] columnOrder = order();
    private double[] row = new double[FIXED_COLUMNS];
    private double[] actRow = new double[1];
    private final List<EvalRecord> evals = new ArrayList<>();
    private final List<EventRecord> events = new ArrayList<>();
    // what the summary says: the steps counted (no record is kept), the test scores, the provenance
    private final StepTally tally = new StepTally();
    private final List<TestRecord> tests = new ArrayList<>();
    private Provenance provenance;
    private int evalsSent;
    private int eventsSent;
    private final Map<String, String> sections = new LinkedHashMap<>();
    private final Map<String, String> sectionsSent = new HashMap<>();
    private List<String> charts = List.of();
    private List<String> chartsSent = List.of();
    private boolean finished;
    private String status = "";
    private long step = -1;
    private boolean finishedSent;
    private String statusSent = "";
    private long stepSent = -1;
    private boolean structureChanged = true;
    private long seq;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 * 1024);

    /**
     * Adds one metrics record: its numbers go into the tables and the summary's counts ({@link StepTally}); the
     * record itself is not kept (a {@link TestRecord} only shows in the summary, at {@link #update}).
     */
    public void add(Object record) {
        switch (record) {
            case Provenance p -> {
                provenance = p;
                ObjectNode holder = JsonNodeFactory.instance.objectNode();
                ChartData.putClipLimits(holder, p);
                clipLimits = holder.get("clipLimits");
                structureChanged = true;
            }
            case StepRecord r -> {
                tally.add(r);
                addStep(r);
            }
            case EvalRecord r -> evals.add(r);
            case EventRecord r -> events.add(r);
            case TestRecord r -> tests.add(r);
            default -> throw new IllegalArgumentException("not a metrics record: " + record.getClass().getName());
        }
    }

    private void addStep(StepRecord r) {
        // the table's columns are appended as names arrive; order() puts them in the page's order
        for (String name : r.layers().keySet()) {
            if (!layers.contains(name)) {
                layers.add(name);
                layerColumns.add(steps.width());
                steps.addColumn();
                steps.addColumn();
                columnOrder = null;
            }
        }
        for (String name : r.transforms().keySet()) {
            if (!transforms.contains(name)) {
                transforms.add(name);
                transformColumns.add(steps.width());
                steps.addColumn();
                columnOrder = null;
            }
        }
        if (columnOrder == null) {
            columnOrder = order();
            row = new double[steps.width()];
            structureChanged = true;
        }
        boolean special = r.skipped() || !Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm());
        int group = r.layers().isEmpty() ? 0 : 1;
        if (!steps.skips(special, group)) {
            appendStep(r, special, group);
        }
        if (!r.activations().isEmpty()) {
            addActivations(r);
        }
        step = r.step();
    }

    /** The step table's row of {@code r}. */
    private void appendStep(StepRecord r, boolean special, int group) {
        row[STEP] = r.step();
        row[LOSS] = r.loss();
        row[LR] = r.learningRate();
        row[GRAD_NORM] = r.gradNorm();
        row[FLAGS] = (r.clippedOrShrunk() ? CLIPPED : 0) | (r.skipped() ? SKIPPED : 0) | (r.layers().isEmpty() ? 0 : SAMPLED);
        for (int y = 0; y < layers.size(); y++) {
            LayerStats s = r.layers().get(layers.get(y));
            row[layerColumns.get(y)] = s == null ? Double.NaN : Math.log10(s.gradNorm());
            row[layerColumns.get(y) + 1] = s == null ? Double.NaN : s.updateRatioLog10();
        }
        for (int t = 0; t < transforms.size(); t++) {
            Double v = r.transforms().get(transforms.get(t));
            row[transformColumns.get(t)] = v == null ? Double.NaN : v;
        }
        steps.append(row, special, group);
    }

    /** The step table's columns in the page's order: the fixed ones, per layer its two, per transform metric its one. */
    private int[] order() {
        int[] order = new int[steps.width()];
        int k = 0;
        for (int c = 0; c < FIXED_COLUMNS; c++) {
            order[k++] = c;
        }
        for (int p : layerColumns) {
            order[k++] = p;
            order[k++] = p + 1;
        }
        for (int p : transformColumns) {
            order[k++] = p;
        }
        return order;
    }

    private void addActivations(StepRecord r) {
        for (Map.Entry<String, ActivationStats> e : r.activations().entrySet()) {
            if (!activations.contains(e.getKey())) {
                activations.add(e.getKey());
                activationKinds.add(e.getValue().kind());
                acts.addColumn();
                acts.addColumn();
                structureChanged = true;
            }
        }
        if (acts.skips(false, 0)) {
            return;
        }
        if (actRow.length != acts.width()) {
            actRow = new double[acts.width()];
        }
        actRow[0] = r.step();
        for (int a = 0; a < activations.size(); a++) {
            ActivationStats s = r.activations().get(activations.get(a));
            actRow[1 + 2 * a] = s == null ? Double.NaN : s.deadFraction();
            actRow[2 + 2 * a] = s == null ? Double.NaN : s.saturatedFraction();
            if (s != null && activationKinds.get(a) == null) {
                activationKinds.set(a, s.kind());
            }
        }
        acts.append(actRow, false, 0);
    }

    /** Forgets the run (the followed log was replaced by a new one); the next message is a full state. */
    public void reset() {
        layers.clear();
        transforms.clear();
        activations.clear();
        activationKinds.clear();
        layerColumns.clear();
        transformColumns.clear();
        clipLimits = JsonNodeFactory.instance.arrayNode();
        steps = new LiveColumns(FIXED_COLUMNS, MAX_ROWS);
        acts = new LiveColumns(1, MAX_ROWS);
        columnOrder = order();
        row = new double[FIXED_COLUMNS];
        actRow = new double[1];
        evals.clear();
        events.clear();
        tally.reset();
        tests.clear();
        provenance = null;
        evalsSent = 0;
        eventsSent = 0;
        sections.clear();
        charts = List.of();
        finished = false;
        step = -1;
        structureChanged = true;
    }

    /**
     * Brings the sections, the chart list and the status up to date.
     *
     * @param verdicts the doctor's current verdicts
     * @param finished true once the run has ended
     * @param status one line for the status bar
     */
    public void update(List<Verdict> verdicts, boolean finished, String status) {
        this.finished = finished;
        this.status = status;
        sections.put("verdicts", PageSections.verdicts(verdicts));
        sections.put("summary", PageSections.summary(tally, evals, tests, null)); // a live run has no final status yet
        if (provenance != null && !sections.containsKey("provenance")) {
            sections.put("provenance", PageSections.provenance(provenance, Json.mapper()));
        }
        if (events.size() != eventsSent || !sections.containsKey("events")) {
            sections.put("events", PageSections.events(events));
        }
        List<String> now = new ArrayList<>();
        if (steps.rows() > 0 || !evals.isEmpty()) {
            now.add(ChartData.LOSS);
        }
        if (steps.rows() > 0) {
            now.add(ChartData.LEARNING_RATE);
            now.add(ChartData.GRAD_NORM);
        }
        if (!layers.isEmpty()) {
            now.add(ChartData.GRAD_HEATMAP);
            now.add(ChartData.UPDATE_RATIO);
        }
        if (!transforms.isEmpty()) {
            now.add(ChartData.TRANSFORMS);
        }
        if (!activations.isEmpty()) {
            now.add(ChartData.ACTIVATIONS);
        }
        if (!now.equals(charts)) {
            charts = List.copyOf(now);
        }
    }

    /** True when a delta cannot say what changed: every page needs a {@link #full} state. */
    public boolean needsFull() {
        return structureChanged;
    }

    /** True when the state differs from the last message's. */
    public boolean changed() {
        return structureChanged || steps.changed() || acts.changed() || evals.size() != evalsSent
                || events.size() != eventsSent || !charts.equals(chartsSent) || finished != finishedSent
                || !status.equals(statusSent) || step != stepSent || !sections.equals(sectionsSent);
    }

    /** Sequence number of the last message built. */
    public long seq() {
        return seq;
    }

    /**
     * The whole state as one server-sent event, numbered as the last message when nothing changed since it,
     * else as the next one (which pages that follow deltas must then get too: call {@link #delta} first).
     */
    public byte[] full() {
        if (changed()) {
            seq++;
        }
        byte[] message = write(true);
        markSent();
        return message;
    }

    /** What changed since the last message, as the next numbered server-sent event; only when {@link #needsFull} is false. */
    public byte[] delta() {
        if (structureChanged) {
            throw new IllegalStateException("the live page's structure changed: send a full state");
        }
        seq++;
        byte[] message = write(false);
        markSent();
        return message;
    }

    private void markSent() {
        steps.mark();
        acts.mark();
        evalsSent = evals.size();
        eventsSent = events.size();
        sectionsSent.clear();
        sectionsSent.putAll(sections);
        chartsSent = charts;
        finishedSent = finished;
        statusSent = status;
        stepSent = step;
        structureChanged = false;
    }

    private byte[] write(boolean whole) {
        buffer.reset();
        buffer.writeBytes(EVENT_START);
        try (JsonGenerator g = Json.mapper().getFactory().createGenerator(buffer)) {
            g.writeStartObject();
            g.writeNumberField("seq", seq);
            g.writeStringField("kind", whole ? "full" : "delta");
            g.writeBooleanField("finished", finished);
            g.writeStringField("status", status);
            g.writeNumberField("step", step);
            if (whole) {
                writeStructure(g);
            }
            writeTable(g, "steps", steps, whole, columnOrder);
            writeTable(g, "acts", acts, whole, null);
            if (whole || evals.size() != evalsSent) {
                g.writeArrayFieldStart("evals");
                for (int i = whole ? 0 : evalsSent; i < evals.size(); i++) {
                    EvalRecord e = evals.get(i);
                    g.writeStartArray();
                    g.writeNumber(e.step());
                    writeNumber(g, e.trainLoss());
                    writeNumber(g, e.valLoss());
                    writeNumber(g, e.valAccuracy());
                    g.writeEndArray();
                }
                g.writeEndArray();
            }
            if (whole || events.size() != eventsSent) {
                g.writeArrayFieldStart("events");
                for (int i = whole ? 0 : eventsSent; i < events.size(); i++) {
                    g.writeStartArray();
                    g.writeNumber(events.get(i).step());
                    g.writeString(events.get(i).kind());
                    g.writeEndArray();
                }
                g.writeEndArray();
            }
            if (whole || !charts.equals(chartsSent)) {
                writeStrings(g, "charts", charts);
                g.writeObjectFieldStart("cards");
                for (String c : charts) {
                    if (whole || !chartsSent.contains(c)) {
                        g.writeStringField(c, PageSections.chart(c, layers.size()));
                    }
                }
                g.writeEndObject();
            }
            g.writeObjectFieldStart("sections");
            for (String id : SECTIONS) {
                String html = sections.get(id);
                if (html != null && (whole || !html.equals(sectionsSent.get(id)))) {
                    g.writeStringField(id, html);
                }
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the live update: " + e.getMessage(), e);
        }
        buffer.writeBytes(EVENT_END);
        return buffer.toByteArray();
    }

    private void writeStructure(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("structure");
        writeStrings(g, "layers", layers);
        writeStrings(g, "transforms", transforms);
        g.writeArrayFieldStart("activations");
        for (int a = 0; a < activations.size(); a++) {
            g.writeStartObject();
            g.writeStringField("name", activations.get(a));
            g.writeStringField("kind", activationKinds.get(a));
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeFieldName("clipLimits");
        g.writeTree(clipLimits);
        g.writeEndObject();
    }

    private static void writeTable(JsonGenerator g, String field, LiveColumns table, boolean whole, int[] order) throws IOException {
        if (whole) {
            g.writeFieldName(field);
            table.writeFull(g, order);
        } else if (table.changed()) {
            g.writeFieldName(field);
            table.writeDelta(g, order);
        }
    }

    private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    /** A number as the page reads it: integers without a fraction, non-finite values as null (a gap). */
    static void writeNumber(JsonGenerator g, double v) throws IOException {
        if (!Double.isFinite(v)) {
            g.writeNull();
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            g.writeNumber((long) v);
        } else {
            g.writeNumber(v);
        }
    }
}
