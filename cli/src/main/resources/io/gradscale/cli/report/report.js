// Draws the report's charts from chart data (built by ChartData.java) into every element with a
// data-chart attribute, marks each drawn container with data-rendered="true" and data-points (the
// number of steps it shows). The static report draws the JSON in #report-data once; the live page
// (live.js) calls window.gradscaleCharts.draw(data, options) again with the updates it draws, with a cap on
// the points each line gets and the charts out of view left for later (redrawStale when they come into it).
window.gradscaleCharts = (function () {
  'use strict';
  var data = null;
  // points each line series is given at most (0: all); the data itself stays whole
  var maxPoints = 0;

  // Okabe-Ito: distinguishable with the common colour-vision deficiencies.
  var PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
  var VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
  var CLIP_COLOUR = '#E69F00';
  var SKIP_COLOUR = '#c62828';

  // Non-finite values arrive as null; a log axis also cannot place zero or negatives.
  function finite(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function positive(v) { return typeof v === 'number' && isFinite(v) && v > 0 ? v : null; }

  // The live page appends to its data arrays in place (live.js) and draws again: the [x, y] points made from
  // an array are kept with it, and only the new values are made into points. An array that is replaced (the
  // live data thinned) is a new key, so nothing stale is reused.
  var pairsMade = new WeakMap();

  function pairs(xs, ys, map) {
    var made = pairsMade.get(ys);
    if (!made || made.xs !== xs || made.map !== map || made.out.length > xs.length) {
      made = { xs: xs, map: map, out: [] };
      pairsMade.set(ys, made);
    }
    var out = made.out;
    for (var i = out.length; i < xs.length; i++) { out.push([xs[i], map(ys[i])]); }
    return out;
  }

  // The points kept of one run of consecutive ones: the first, the lowest, the highest, and the first gap
  // (null y) if it has one, in their order.
  function keepOfRun(points, a, b, out) {
    var lo = -1;
    var hi = -1;
    var gap = -1;
    for (var i = a; i < b; i++) {
      var y = points[i][1];
      if (y === null) {
        if (gap < 0) { gap = i; }
      } else {
        if (lo < 0 || y < points[lo][1]) { lo = i; }
        if (hi < 0 || y > points[hi][1]) { hi = i; }
      }
    }
    var keep = [a, lo, hi, gap].filter(function (k, j, all) { return k >= 0 && all.indexOf(k) === j; });
    keep.sort(function (x, z) { return x - z; });
    keep.forEach(function (k) { out.push(points[k]); });
  }

  // At most about 4/3 max of the [x, y] points, for drawing: the points are cut into runs of a power-of-two
  // length, the shortest that makes at most max / 3 runs, and of each run keepOfRun's points are kept. So a
  // spike or a gap survives, whatever the thinning; the line reads as the whole one at a chart's width, which
  // has fewer pixels than points anyway. Runs are fixed by their length alone, so for points that grow (the
  // live page) the runs already complete are decimated once and kept with the array; the run length doubles
  // (and all is decimated again) only each time the points double.
  var decimated = new WeakMap();

  function decimate(points, max) {
    // a copy: the points may be the kept ones of pairs(), which grow after the chart was given them
    if (max <= 0 || points.length <= max) { return points.slice(); }
    var runs = Math.max(1, Math.floor(max / 3));
    var size = 1;
    while (Math.ceil(points.length / size) > runs) { size *= 2; }
    var done = decimated.get(points);
    if (!done || done.size !== size) {
      done = { size: size, runs: 0, out: [] };
      decimated.set(points, done);
    }
    while ((done.runs + 1) * size <= points.length) {
      keepOfRun(points, done.runs * size, (done.runs + 1) * size, done.out);
      done.runs++;
    }
    var out = done.out.slice();
    if (done.runs * size < points.length) { keepOfRun(points, done.runs * size, points.length, out); }
    if (out[out.length - 1] !== points[points.length - 1]) { out.push(points[points.length - 1]); }
    return out;
  }

  function fmt(v) {
    if (v === null || v === undefined || typeof v !== 'number') { return '–'; }
    var a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Math.round(v * 1e4) / 1e4);
  }

  function stepAxis() {
    return { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 26, scale: true,
             min: 'dataMin', max: 'dataMax', axisLabel: { hideOverlap: true } };
  }

  function base(extra) {
    var option = {
      animation: false,
      color: PALETTE,
      grid: { left: 70, right: 70, top: 40, bottom: 78 },
      tooltip: { trigger: 'axis', valueFormatter: fmt },
      legend: { type: 'scroll', top: 4 },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 8 }]
    };
    for (var k in extra) { option[k] = extra[k]; }
    return option;
  }

  function line(name, points, extra) {
    var s = { name: name, type: 'line', data: decimate(points, maxPoints), showSymbol: false, connectNulls: false,
              sampling: 'lttb' };
    for (var k in extra) { s[k] = extra[k]; }
    return s;
  }

  function eventLines() {
    return {
      silent: true, symbol: 'none',
      lineStyle: { color: '#5f6b7a', type: 'dashed' },
      label: { formatter: '{b}', position: 'insideEndTop', color: '#5f6b7a' },
      data: data.events.map(function (e) { return { name: e.kind, xAxis: e.step }; })
    };
  }

  var renderers = {
    'loss': function () {
      var series = [line('train loss', pairs(data.steps, data.loss, finite), { markLine: eventLines() })];
      var ev = data.evals;
      if (ev.steps.length > 0) {
        series.push(line('train loss (epoch mean)', pairs(ev.steps, ev.trainLoss, finite),
          { showSymbol: true, sampling: undefined }));
        series.push(line('validation loss', pairs(ev.steps, ev.valLoss, finite),
          { showSymbol: true, sampling: undefined }));
      }
      var yAxes = [{ type: data.lossLogScale ? 'log' : 'value', name: 'loss', scale: true }];
      if (ev.valAccuracy.some(function (v) { return finite(v) !== null; })) {
        yAxes.push({ type: 'value', name: 'accuracy', min: 0, max: 1, splitLine: { show: false } });
        series.push(line('validation accuracy', pairs(ev.steps, ev.valAccuracy, finite),
          { yAxisIndex: 1, showSymbol: true, sampling: undefined, lineStyle: { type: 'dashed' } }));
      }
      return base({ xAxis: stepAxis(), yAxis: yAxes, series: series });
    },

    'lr': function () {
      return base({ xAxis: stepAxis(), yAxis: { type: 'value', name: 'learning rate', scale: true },
                    legend: { show: false },
                    series: [line('learning rate', pairs(data.steps, data.lr, finite), { step: 'end' })] });
    },

    'grad-norm': function () {
      var series = [line('gradient norm', pairs(data.steps, data.gradNorm, positive))];
      series.push({ name: 'clipped', type: 'scatter', symbol: 'triangle', symbolSize: 8, z: 4,
                    itemStyle: { color: CLIP_COLOUR, borderColor: '#7a4f00', borderWidth: 0.5 },
                    data: data.clipped.filter(function (p) { return positive(p[1]) !== null; }) });
      series.push({ name: 'skipped', type: 'line', data: [],
                    itemStyle: { color: SKIP_COLOUR },
                    markLine: { silent: true, symbol: 'none', lineStyle: { color: SKIP_COLOUR, width: 1.5 },
                                label: { show: false },
                                data: data.skipped.map(function (s) { return { xAxis: s }; }) } });
      // Clipping thresholds: fixed ones from the configuration, adaptive ones (AutoClip, ZClip) per step.
      if (data.clipLimits.length > 0) {
        series[0].markLine = { silent: true, symbol: 'none', lineStyle: { color: CLIP_COLOUR, type: 'dashed' },
                               label: { formatter: '{b}', position: 'insideEndTop', color: '#7a4f00' },
                               data: data.clipLimits.map(function (l) {
                                 return { name: l.name + ' = ' + fmt(l.value), yAxis: l.value };
                               }) };
      }
      data.transforms.names.forEach(function (name, i) {
        if (/\.threshold$/.test(name)) {
          series.push(line(name, pairs(data.steps, data.transforms.values[i], positive),
            { itemStyle: { color: CLIP_COLOUR }, lineStyle: { type: 'dashed' } }));
        }
      });
      return base({ xAxis: stepAxis(), yAxis: { type: 'log', name: '‖g‖₂' }, series: series });
    },

    'grad-heatmap': function () {
      return base({
        tooltip: {
          trigger: 'item',
          formatter: function (p) {
            return data.layers[p.value[1]] + '<br>step ' + data.heatSteps[p.value[0]] + ': ‖g‖₂ = ' +
              fmt(Math.pow(10, p.value[2])) + ' (log10 ' + fmt(p.value[2]) + ')';
          }
        },
        grid: { left: 160, right: 110, top: 16, bottom: 78 },
        legend: { show: false },
        xAxis: { type: 'category', name: 'step', nameLocation: 'middle', nameGap: 26,
                 data: data.heatSteps.map(String), splitArea: { show: false } },
        yAxis: { type: 'category', data: data.layers, inverse: true,
                 axisLabel: { width: 150, overflow: 'truncate' } },
        visualMap: { type: 'continuous', min: data.heatRange[0], max: data.heatRange[1], calculable: true,
                     orient: 'vertical', right: 24, top: 'middle', itemHeight: 120, precision: 2,
                     inRange: { color: VIRIDIS } },
        series: [{ name: 'log10 gradient norm', type: 'heatmap', data: data.heat, progressive: 0 }]
      });
    },

    'update-ratio': function () {
      var series = data.layers.map(function (name, i) {
        // only the sampled steps carry a ratio: drop the gaps so that each layer draws as one line
        return line(name, pairs(data.steps, data.updateRatio[i], finite).filter(function (p) { return p[1] !== null; }));
      });
      if (series.length > 0) {
        series[0].markLine = { silent: true, symbol: 'none', lineStyle: { color: '#2e7d32', type: 'dashed' },
                               label: { formatter: 'healthy ≈ -3', position: 'insideEndTop' },
                               data: [{ yAxis: -3 }] };
      }
      return base({ xAxis: stepAxis(), yAxis: { type: 'value', name: 'log10 ratio', scale: true }, series: series });
    },

    'transforms': function () {
      var t = data.transforms;
      var selected = {};
      t.names.forEach(function (n, i) { selected[n] = i === 0; });
      var series = t.names.map(function (name, i) {
        return line(name, pairs(data.steps, t.values[i], finite));
      });
      return base({ xAxis: stepAxis(), yAxis: { type: 'value', scale: true },
                    legend: { type: 'scroll', top: 4, selectedMode: 'single', selected: selected },
                    series: series });
    },

    'activations': function () {
      var a = data.activations;
      var series = [];
      // A fraction that is zero on every sample (saturation of a ReLU, dead tanh units) says nothing and
      // would hide the others along the x axis.
      function informative(values) { return values.some(function (v) { return finite(v) !== null && v !== 0; }); }
      a.layers.forEach(function (layer, i) {
        var colour = PALETTE[i % PALETTE.length];
        var label = layer.name + (layer.kind ? ' (' + layer.kind + ')' : '');
        if (informative(layer.dead)) {
          series.push(line(label + ' dead', pairs(a.steps, layer.dead, finite),
            { itemStyle: { color: colour } }));
        }
        if (informative(layer.saturated)) {
          series.push(line(label + ' saturated', pairs(a.steps, layer.saturated, finite),
            { itemStyle: { color: colour }, lineStyle: { type: 'dashed' } }));
        }
      });
      if (series.length === 0) {
        series.push(line('all fractions are 0', pairs(a.steps, a.steps.map(function () { return 0; }), finite)));
      }
      return base({ xAxis: stepAxis(), yAxis: { type: 'value', name: 'fraction', min: 0, max: 1 }, series: series });
    }
  };

  var charts = {};
  // series each chart was last given, by container id: what 'finished' checks against
  var wanted = {};

  function drawOne(el) {
    var name = el.getAttribute('data-chart');
    var make = renderers[name];
    if (!make) {
      console.error('the report has no renderer for chart "' + name + '"');
      return;
    }
    try {
      var option = make();
      var existing = charts[el.id];
      el.setAttribute('data-points', String(name === 'grad-heatmap' ? data.heatSteps.length : data.steps.length));
      wanted[el.id] = (option.series || []).length;
      if (existing) {
        // An update keeps the reader's zoom and legend choices; only the series are replaced.
        existing.setOption(option, { replaceMerge: ['series'] });
        return;
      }
      var chart = echarts.init(el, null, { renderer: 'canvas' });
      // ECharts reports 'finished' inside setOption when animation is off, and also for a chart that has
      // no option yet; only the first kind counts as drawn.
      var applying = false;
      var applied = false;
      chart.on('finished', function () {
        if (!applying && !applied) { return; }
        // The production build drops a series it cannot draw without a word; count them instead.
        var drawn = (chart.getOption().series || []).length;
        if (drawn !== wanted[el.id]) {
          console.error('chart "' + name + '" drew ' + drawn + ' of ' + wanted[el.id] + ' series');
          return;
        }
        el.setAttribute('data-rendered', 'true');
      });
      applying = true;
      try {
        chart.setOption(option);
        applied = true;
      } finally {
        applying = false;
      }
      // Zoom and tooltips follow together on the charts whose x axis is the step number.
      if (name !== 'grad-heatmap') { chart.group = 'steps'; }
      charts[el.id] = chart;
      echarts.connect('steps');
    } catch (e) {
      el.removeAttribute('data-rendered');
      console.error('chart "' + name + '" failed: ', e);
    }
  }

  // charts whose drawing is older than the data (they were out of view at the last draw)
  var stale = {};

  /**
   * Draws the charts from newData; options (the live page's): maxPoints, the most points a line series is
   * given; visible(el), when given, says which charts to draw now: the others are only marked stale;
   * changed, when given, names (as keys) the charts whose data changed: the others are left as they are,
   * unless they are stale and now visible.
   */
  function draw(newData, options) {
    data = newData;
    maxPoints = options && options.maxPoints || 0;
    var visible = options && options.visible;
    var changed = options && options.changed;
    document.querySelectorAll('[data-chart]').forEach(function (el) {
      if (changed && charts[el.id] && !changed[el.getAttribute('data-chart')] && !(stale[el.id] && (!visible || visible(el)))) {
        return;
      }
      if (visible && !visible(el)) {
        stale[el.id] = true;
      } else {
        delete stale[el.id];
        drawOne(el);
      }
    });
  }

  // Draws, from the data last given, the stale charts that visible(el) now accepts.
  function redrawStale(visible) {
    Object.keys(stale).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) {
        delete stale[id];
      } else if (visible(el)) {
        delete stale[id];
        drawOne(el);
      }
    });
  }

  window.addEventListener('resize', function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
  var embedded = document.getElementById('report-data');
  if (embedded) { draw(JSON.parse(embedded.textContent)); }
  return { draw: draw, redrawStale: redrawStale };
})();
