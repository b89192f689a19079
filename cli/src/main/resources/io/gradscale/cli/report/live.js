// The live page: listens to the server's event stream (body[data-events]); each "update" event carries
// the whole page state (LivePage.java): chart data, chart cards, and the HTML of the diagnosis, summary,
// provenance and event sections. The charts are drawn by report.js, as in the static report.
(function () {
  'use strict';
  var status = document.getElementById('live-status');
  var charts = document.getElementById('charts');
  var finished = false;

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

  function apply(update) {
    Object.keys(update.sections).forEach(function (id) { replaceSection(id, update.sections[id]); });
    placeCards(update.charts, update.cards);
    // While live, only the charts in or near the view are drawn, the others when they come into it; the
    // last update draws them all, so that the finished page is whole.
    window.gradscaleCharts.draw(update.data, { maxPoints: MAX_DRAWN_POINTS, visible: update.finished ? null : nearView });
    document.body.setAttribute('data-step', String(update.step));
    setStatus(update.finished ? 'finished' : 'live', update.status);
  }

  // Updates are coalesced: each holds the whole state, so only the newest one waiting is drawn, and skipping
  // one loses nothing but latency. A drawing happens in an animation frame (none while the tab is hidden),
  // at most MAX_DRAWS_PER_SECOND times a second, and only once the last drawing's cost is at most DRAW_DUTY
  // of the time since it: on a machine that also trains, the page takes little processor time from the
  // trainer. The last update is drawn at once, hidden or not.
  var MAX_DRAWS_PER_SECOND = 2;
  var DRAW_DUTY = 0.05;
  var MAX_DRAW_WAIT = 5000; // ms: the page lags the run by at most about this
  var pending = null;
  var timer = null;
  var frame = 0;
  var lastDrawEnd = -Infinity;
  var lastDrawCost = 0;

  function drawNow() {
    frame = 0;
    if (!pending) { return; }
    var text = pending.text;
    pending = null;
    var start = performance.now();
    try {
      apply(JSON.parse(text));
    } catch (err) {
      console.error('live update failed: ', err);
    }
    lastDrawEnd = performance.now();
    lastDrawCost = lastDrawEnd - start;
    schedule();
  }

  function schedule() {
    if (!pending || timer || frame) { return; }
    if (pending.finished) {
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

  var source = new EventSource(document.body.getAttribute('data-events'));
  source.addEventListener('update', function (e) {
    // Parsed only when drawn (an update can be large); the server marks the last one in its first bytes.
    pending = { text: e.data, finished: e.data.lastIndexOf('{"finished":true', 0) === 0 };
    if (pending.finished) {
      finished = true;
      source.close();
      if (timer) { clearTimeout(timer); timer = null; }
      if (frame) { cancelAnimationFrame(frame); frame = 0; }
    }
    schedule();
  });
  source.addEventListener('failure', function (e) {
    finished = true;
    setStatus('disconnected', JSON.parse(e.data).status);
    source.close();
  });
  source.onerror = function () {
    if (!finished) { setStatus('disconnected', 'disconnected from the server; retrying…'); }
  };
})();
