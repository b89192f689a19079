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
  // goes in its place in the report's order, existing ones (and their drawn charts) stay.
  function placeCards(names, cards) {
    names.forEach(function (name) {
      var el = document.getElementById('chart-' + name);
      var card;
      if (el) {
        card = el.closest('.chart-card');
      } else {
        var t = document.createElement('template');
        t.innerHTML = cards[name];
        card = t.content.firstElementChild;
      }
      charts.appendChild(card);
    });
  }

  function apply(update) {
    Object.keys(update.sections).forEach(function (id) { replaceSection(id, update.sections[id]); });
    placeCards(update.charts, update.cards);
    window.gradscaleCharts.draw(update.data);
    document.body.setAttribute('data-step', String(update.step));
    setStatus(update.finished ? 'finished' : 'live', update.status);
  }

  var source = new EventSource(document.body.getAttribute('data-events'));
  source.addEventListener('update', function (e) {
    try {
      var update = JSON.parse(e.data);
      apply(update);
      if (update.finished) {
        finished = true;
        source.close();
      }
    } catch (err) {
      console.error('live update failed: ', err);
    }
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
