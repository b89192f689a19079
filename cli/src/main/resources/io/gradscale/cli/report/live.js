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

  function apply(update) {
    Object.keys(update.sections).forEach(function (id) { replaceSection(id, update.sections[id]); });
    placeCards(update.charts, update.cards);
    window.gradscaleCharts.draw(update.data);
    document.body.setAttribute('data-step', String(update.step));
    setStatus(update.finished ? 'finished' : 'live', update.status);
  }

  // Each update holds the whole state, so skipping one loses nothing but latency. Drawing waits until the
  // last drawing's cost is at most DRAW_DUTY of the time since it, and while the tab is hidden: on a
  // machine that also trains, the page takes little processor time from the trainer.
  var DRAW_DUTY = 0.05;
  var MAX_DRAW_WAIT = 5000; // ms: the page lags the run by at most about this
  var pending = null;
  var timer = null;
  var lastDrawEnd = 0;
  var lastDrawCost = 0;

  function drawPending() {
    timer = null;
    if (!pending || (document.hidden && !pending.finished)) { return; }
    var wait = lastDrawEnd + Math.min(lastDrawCost / DRAW_DUTY, MAX_DRAW_WAIT) - performance.now();
    if (wait > 0 && !pending.finished) {
      timer = setTimeout(drawPending, wait);
      return;
    }
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
  }

  var source = new EventSource(document.body.getAttribute('data-events'));
  source.addEventListener('update', function (e) {
    // Parsed only when drawn (an update can be large); the server marks the last one in its first bytes.
    pending = { text: e.data, finished: e.data.lastIndexOf('{"finished":true', 0) === 0 };
    if (pending.finished) {
      finished = true;
      source.close();
      if (timer) { clearTimeout(timer); }
      drawPending();
    } else if (!timer) {
      drawPending();
    }
  });
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && !timer) { drawPending(); }
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
