// The live page: listens to the server's event stream (body[data-events]). The first "update" event carries
// the whole page state (kind "full", LiveState.java): the run's structure, a table of the charted steps and one
// of the steps with activation statistics (column by column), evaluations, events, the charts and their cards,
// and the HTML of the diagnosis, summary, provenance and event sections. Each later one (kind "delta") carries
// only what changed: which of the table rows survive a thinning (keep), the new rows, the new evaluations and
// events, the new cards and the changed sections. Each is numbered (seq); a delta whose number does not follow
// the last one's means one was missed: the page connects again, and the server sends the whole state.
// From the tables the page keeps the chart data of the static report (ChartData.java), appending to it; the
// charts are drawn by report.js, only those whose data changed.
(function () {
  'use strict';
  var status = document.getElementById('live-status');
  var charts = document.getElementById('charts');
  var finished = false;
  // the page's copy of the server's state, and the chart data made from it
  var state = null;
  var data = null;
  var made = null;
  // the columns of the step table before the per-layer ones (LiveState.FIXED_COLUMNS) and the flag bits
  var STEP = 0, LOSS = 1, LR = 2, GRAD_NORM = 3, FLAGS = 4, FIXED = 5;
  var CLIPPED = 1, SKIPPED = 2, SAMPLED = 4;
  var ALL_CHARTS = ['loss', 'lr', 'grad-norm', 'grad-heatmap', 'update-ratio', 'transforms', 'activations'];
  var STEP_CHARTS = ['loss', 'lr', 'grad-norm', 'transforms'];
  var LAYER_CHARTS = ['grad-heatmap', 'update-ratio'];

  function setStatus(state, text) {
    status.setAttribute('data-status', state);
    status.textContent = text;
  }

  function replaceSection(id, html) {
    var old = document.getElementById(id);
    if (!old || html === undefined || old.outerHTML === html) { return; }
    var t = document.createElement('template');
    t.innerHTML = html;
    old.replaceWith(t.content.firstElementChild);
  }

  // Charts appear as their data does (per-layer statistics come with the first sampled step); a new card
  // goes in its place in the report's order, existing ones (and their drawn charts) are not touched.
  function placeCards(names, cards) {
    var next = null;
    for (var i = names.length - 1; i >= 0; i--) {
      var el = document.getElementById('chart-' + names[i]);
      if (!el) {
        var t = document.createElement('template');
        t.innerHTML = cards[names[i]];
        el = t.content.firstElementChild.querySelector('[data-chart]');
        charts.insertBefore(t.content.firstElementChild, next);
      }
      next = el.closest('.chart-card');
    }
  }

  // --- the state: a full one replaces it, a delta is applied to it ---

  function append(target, values) {
    for (var i = 0; i < values.length; i++) { target.push(values[i]); }
  }

  // Applies a table's delta ({keep, rows}) to the page's table ({rows}); true when rows were dropped.
  function applyTable(table, delta) {
    if (!delta) { return false; }
    var keep = delta.keep;
    for (var c = 0; c < table.rows.length; c++) {
      if (keep) {
        var col = table.rows[c];
        table.rows[c] = keep.map(function (k) { return col[k]; });
      }
      append(table.rows[c], delta.rows[c]);
    }
    return !!keep;
  }

  function applyFull(m) {
    state = { seq: m.seq, finished: m.finished, status: m.status, step: m.step, structure: m.structure,
              steps: m.steps, acts: m.acts, evals: m.evals, events: m.events, charts: m.charts, cards: m.cards,
              sections: m.sections };
    remake();
    return { all: true, sections: Object.keys(m.sections) };
  }

  // Applies a delta; returns what it changed: {all, charts: {name: true}, sections: [ids]}.
  function applyDelta(m) {
    var change = { all: false, charts: {}, sections: Object.keys(m.sections) };
    state.seq = m.seq;
    state.finished = m.finished;
    state.status = m.status;
    state.step = m.step;
    var stepRows = state.steps.rows[0].length;
    var actRows = state.acts.rows[0].length;
    var thinned = applyTable(state.steps, m.steps);
    thinned = applyTable(state.acts, m.acts) || thinned;
    if (m.evals) { append(state.evals, m.evals); }
    if (m.events) { append(state.events, m.events); }
    if (m.charts) {
      state.charts = m.charts;
      Object.keys(m.cards).forEach(function (k) { state.cards[k] = m.cards[k]; });
    }
    Object.keys(m.sections).forEach(function (k) { state.sections[k] = m.sections[k]; });
    if (thinned) {
      remake();
      change.all = true;
      return change;
    }
    var steps = state.steps.rows;
    if (steps[0].length > stepRows) {
      STEP_CHARTS.forEach(function (c) { change.charts[c] = true; });
      for (var i = stepRows; i < steps[0].length; i++) {
        if (steps[FLAGS][i] & SAMPLED) { LAYER_CHARTS.forEach(function (c) { change.charts[c] = true; }); break; }
      }
    }
    if (state.acts.rows[0].length > actRows) { change.charts.activations = true; }
    if (m.evals || m.events) { change.charts.loss = true; }
    extend();
    return change;
  }

  // --- the chart data (ChartData.java's object, which report.js draws), made from the state ---

  // Makes the chart data afresh (a full state, or rows dropped by a thinning).
  function remake() {
    var s = state.structure;
    data = {
      steps: [], loss: [], lr: [], gradNorm: [], clipped: [], skipped: [], lossLogScale: false,
      clipLimits: s.clipLimits, layers: s.layers, heat: [], heatSteps: [], heatRange: [0, 1],
      updateRatio: s.layers.map(function () { return []; }),
      transforms: { names: s.transforms, values: s.transforms.map(function () { return []; }) },
      evals: { steps: [], trainLoss: [], valLoss: [], valAccuracy: [] },
      events: [],
      activations: { steps: [], layers: s.activations.map(function (a) {
        return { name: a.name, kind: a.kind, dead: [], saturated: [] };
      }) }
    };
    made = { steps: 0, acts: 0, evals: 0, events: 0, lossMin: Infinity, lossMax: -Infinity, heatMin: Infinity,
             heatMax: -Infinity };
    extend();
  }

  function num(v) { return v === undefined ? null : v; }

  // Appends to the chart data what the state has beyond it.
  function extend() {
    var rows = state.steps.rows;
    var layers = data.layers.length;
    var n = rows[0].length;
    for (var i = made.steps; i < n; i++) {
      var step = rows[STEP][i];
      var loss = rows[LOSS][i];
      var flags = rows[FLAGS][i];
      data.steps.push(step);
      data.loss.push(loss);
      data.lr.push(rows[LR][i]);
      data.gradNorm.push(rows[GRAD_NORM][i]);
      if (loss !== null) {
        made.lossMin = Math.min(made.lossMin, loss);
        made.lossMax = Math.max(made.lossMax, loss);
      }
      if (flags & CLIPPED) { data.clipped.push([step, rows[GRAD_NORM][i]]); }
      if (flags & SKIPPED) { data.skipped.push(step); }
      var column = data.heatSteps.length;
      if (flags & SAMPLED) { data.heatSteps.push(step); }
      for (var y = 0; y < layers; y++) {
        data.updateRatio[y].push(rows[FIXED + 2 * y + 1][i]);
        var g = rows[FIXED + 2 * y][i];
        if ((flags & SAMPLED) && g !== null) {
          data.heat.push([column, y, g]);
          made.heatMin = Math.min(made.heatMin, g);
          made.heatMax = Math.max(made.heatMax, g);
        }
      }
      for (var t = 0; t < data.transforms.names.length; t++) {
        data.transforms.values[t].push(rows[FIXED + 2 * layers + t][i]);
      }
    }
    made.steps = n;
    data.lossLogScale = made.lossMin > 0 && made.lossMax / made.lossMin > 1e3;
    data.heatRange = made.heatMin <= made.heatMax
      ? [made.heatMin, made.heatMax === made.heatMin ? made.heatMin + 1 : made.heatMax] : [0, 1];
    var acts = state.acts.rows;
    for (var j = made.acts; j < acts[0].length; j++) {
      data.activations.steps.push(acts[0][j]);
      data.activations.layers.forEach(function (layer, a) {
        layer.dead.push(num(acts[1 + 2 * a][j]));
        layer.saturated.push(num(acts[2 + 2 * a][j]));
      });
    }
    made.acts = acts[0].length;
    for (var e = made.evals; e < state.evals.length; e++) {
      var ev = state.evals[e];
      data.evals.steps.push(ev[0]);
      data.evals.trainLoss.push(ev[1]);
      data.evals.valLoss.push(ev[2]);
      data.evals.valAccuracy.push(ev[3]);
    }
    made.evals = state.evals.length;
    for (var k = made.events; k < state.events.length; k++) {
      data.events.push({ step: state.events[k][0], kind: state.events[k][1] });
    }
    made.events = state.events.length;
  }

  // --- drawing ---

  // A screen's height of margin above and below the window: charts that near are drawn with the others, so
  // that scrolling finds them drawn.
  function nearView(el) {
    var r = el.getBoundingClientRect();
    var h = window.innerHeight || document.documentElement.clientHeight;
    return r.bottom > -h && r.top < 2 * h;
  }

  // Most points a line series is given (report.js decimates, keeping spikes and gaps); the server sends up
  // to LivePage.MAX_CHART_STEPS steps, and a chart is narrower than that in pixels.
  var MAX_DRAWN_POINTS = 600;

  // what changed since the last drawing: charts by name (or all), section ids
  var pendingCharts = {};
  var pendingAll = false;
  var pendingSections = {};
  var pending = false;

  function draw() {
    Object.keys(pendingSections).forEach(function (id) { replaceSection(id, state.sections[id]); });
    placeCards(state.charts, state.cards);
    var changed = {};
    ALL_CHARTS.forEach(function (c) { changed[c] = pendingAll || !!pendingCharts[c]; });
    pendingCharts = {};
    pendingAll = false;
    pendingSections = {};
    // While live, only the charts in or near the view are drawn, the others when they come into it; the
    // last update draws them all, so that the finished page is whole.
    window.gradscaleCharts.draw(data, { maxPoints: MAX_DRAWN_POINTS, visible: state.finished ? null : nearView,
                                        changed: state.finished ? null : changed });
    document.body.setAttribute('data-step', String(state.step));
    document.body.setAttribute('data-seq', String(state.seq));
    setStatus(state.finished ? 'finished' : 'live', state.status);
  }

  // Updates are applied as they come (they are small), drawn coalesced: a drawing happens in an animation
  // frame (none while the tab is hidden), at most MAX_DRAWS_PER_SECOND times a second, and only once the last
  // drawing's cost is at most DRAW_DUTY of the time since it: on a machine that also trains, the page takes
  // little processor time from the trainer. The last update is drawn at once, hidden or not.
  var MAX_DRAWS_PER_SECOND = 2;
  var DRAW_DUTY = 0.05;
  var MAX_DRAW_WAIT = 5000; // ms: the page lags the run by at most about this
  var timer = null;
  var frame = 0;
  var lastDrawEnd = -Infinity;
  var lastDrawCost = 0;

  function drawNow() {
    frame = 0;
    if (!pending) { return; }
    pending = false;
    var start = performance.now();
    try {
      draw();
    } catch (err) {
      console.error('live update failed: ', err);
    }
    lastDrawEnd = performance.now();
    lastDrawCost = lastDrawEnd - start;
    schedule();
  }

  function schedule() {
    if (!pending || timer || frame) { return; }
    if (state.finished) {
      drawNow();
      return;
    }
    var gap = Math.min(Math.max(lastDrawCost / DRAW_DUTY, 1000 / MAX_DRAWS_PER_SECOND), MAX_DRAW_WAIT);
    var wait = lastDrawEnd + gap - performance.now();
    timer = setTimeout(function () {
      timer = null;
      frame = requestAnimationFrame(drawNow);
    }, Math.max(0, wait));
  }

  // Charts that come into view (scrolling, a larger window) are drawn from the data last drawn, in a frame.
  var viewFrame = 0;
  function onView() {
    if (viewFrame) { return; }
    viewFrame = requestAnimationFrame(function () {
      viewFrame = 0;
      window.gradscaleCharts.redrawStale(nearView);
    });
  }
  window.addEventListener('scroll', onView, { passive: true });
  window.addEventListener('resize', onView);

  var source = null;

  function onUpdate(e) {
    var m = JSON.parse(e.data);
    var change;
    if (m.kind === 'full') {
      change = applyFull(m);
    } else if (state && m.seq === state.seq + 1) {
      change = applyDelta(m);
    } else {
      // a missed update: the whole state again, from a new connection
      connect();
      return;
    }
    pendingAll = pendingAll || change.all;
    Object.keys(change.charts || {}).forEach(function (c) { pendingCharts[c] = true; });
    change.sections.forEach(function (id) { pendingSections[id] = true; });
    pending = true;
    if (state.finished) {
      finished = true;
      source.close();
      if (timer) { clearTimeout(timer); timer = null; }
      if (frame) { cancelAnimationFrame(frame); frame = 0; }
    }
    schedule();
  }

  function connect() {
    if (source) { source.close(); }
    source = new EventSource(document.body.getAttribute('data-events'));
    source.addEventListener('update', onUpdate);
    source.addEventListener('failure', function (e) {
      finished = true;
      setStatus('disconnected', JSON.parse(e.data).status);
      source.close();
    });
    source.onerror = function () {
      if (!finished) { setStatus('disconnected', 'disconnected from the server; retrying…'); }
    };
  }

  // For tests: the page's copy of the server's state (LiveBrowserTest compares it with a full one).
  window.gradscaleLive = { state: function () { return state; } };
  connect();
})();
