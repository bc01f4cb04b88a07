// The dashboard's page: one HTML file with its script inline (no build step),
// drawing with uPlot (served from the uplot package by the server).
// NOTE: the script avoids template literals so that it can sit in this one.

/** The page served at `/`. */
export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>selfsup dashboard</title>
<link rel="stylesheet" href="/uplot.css">
<style>
body { font: 14px system-ui, sans-serif; margin: 0; display: flex; color: #222; }
nav { width: 230px; padding: 12px; background: #f4f4f6; min-height: 100vh; box-sizing: border-box; }
nav a { display: block; flex: 1; padding: 4px 6px; color: #224; text-decoration: none; border-radius: 4px; word-break: break-all; }
nav a.current { background: #dde3f0; font-weight: 600; }
main { padding: 12px 20px; flex: 1; min-width: 0; }
#message { color: #a33; font-weight: 600; min-height: 1em; }
#charts, #compare { display: flex; flex-wrap: wrap; gap: 12px; }
nav .run { display: flex; align-items: center; gap: 2px; }
#images img { max-width: 420px; margin: 4px; border: 1px solid #ddd; image-rendering: pixelated; }
pre { background: #f8f8f8; padding: 8px; overflow: auto; max-height: 320px; }
</style></head>
<body>
<nav><strong>Runs</strong><div id="runs"></div></nav>
<main>
<h1 id="title">selfsup</h1>
<p id="message"></p>
<section id="charts"></section>
<section id="compare-section" hidden><h2>Compared runs</h2><p>Tick runs in the list to draw their curves over this one's.</p><section id="compare"></section></section>
<h2>Evaluation</h2><pre id="eval">(no eval.json yet)</pre>
<h2>Pictures</h2><div id="images"></div>
<h2>Config</h2><pre id="config"></pre>
</main>
<script src="/uplot.js"></script>
<script>
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var current = params.get('run');
  // Runs drawn over the current one on the comparison charts (?compare=a,b).
  var compare = (params.get('compare') || '').split(',').filter(function (n) { return n; });
  var CHART_WIDTH = 460;
  // The server reduces each curve to this many pixel columns (M4: at most 4 points each).
  var BUCKETS = Math.round(CHART_WIDTH * (window.devicePixelRatio || 1));
  var runs = {};     // name -> { data: { series: [[step, value]...] }, source }
  var charts = {};   // chart key -> uPlot
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

  function $(id) { return document.getElementById(id); }
  function message(text) { $('message').textContent = text || ''; }
  function getJson(url) {
    return fetch(url).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; });
    });
  }
  // The same points as the server's pointsOf (lib/dashboard/metrics-lines.ts).
  function pointsOf(r) {
    var out = [];
    var step = typeof r.step === 'number' ? r.step : 0;
    function add(name, v) { if (typeof v === 'number' && isFinite(v)) out.push([name, step, v]); }
    if (r.type === 'step') { add('loss', r.loss); add('lr', r.lr); add('img/s', r.imgPerSec); add('emb std', r.embStd); }
    else if (r.type === 'knn') { Object.keys(r.top1 || {}).forEach(function (k) { add('k-NN@' + k + ' (%)', 100 * r.top1[k]); }); }
    return out;
  }
  // Columns for uPlot: the union of the steps, then one column per line (null where a line has no point).
  function aligned(lines) {
    var steps = {};
    lines.forEach(function (pts) { pts.forEach(function (p) { steps[p[0]] = true; }); });
    var xs = Object.keys(steps).map(Number).sort(function (a, b) { return a - b; });
    var cols = [xs];
    lines.forEach(function (pts) {
      var at = {};
      pts.forEach(function (p) { at[p[0]] = p[1]; });
      cols.push(xs.map(function (x) { return x in at ? at[x] : null; }));
    });
    return cols;
  }
  function chart(parent, key, title, labels, lines) {
    var cols = aligned(lines);
    if (charts[key] && charts[key].series.length === labels.length + 1) {
      charts[key].setData(cols);
      charts[key].root.parentNode.dataset.xs = String(cols[0].length);
      return;
    }
    if (charts[key]) {
      var old = charts[key].root.parentNode; // uPlot's destroy() detaches its root from this box
      charts[key].destroy();
      old.remove();
    }
    var box = document.createElement('div');
    box.className = 'chart';
    box.dataset.series = title;
    box.dataset.lines = String(labels.length);
    box.dataset.xs = String(cols[0].length);
    parent.appendChild(box);
    charts[key] = new uPlot({
      title: title, width: CHART_WIDTH, height: 220, scales: { x: { time: false } },
      series: [{ label: 'step' }].concat(labels.map(function (s, i) { return { label: s, stroke: COLORS[i % COLORS.length], spanGaps: true }; })),
    }, cols, box);
  }
  function drawCurrent() {
    var data = runs[current] ? runs[current].data : {};
    var g = {};
    Object.keys(data).forEach(function (s) { var name = s.indexOf('k-NN') === 0 ? 'k-NN top-1 (%)' : s; (g[name] = g[name] || []).push(s); });
    Object.keys(g).forEach(function (name) {
      chart($('charts'), 'run:' + name, name, g[name], g[name].map(function (s) { return data[s]; }));
    });
    var loss = data.loss || [];
    document.body.dataset.points = String(loss.length);
    document.body.dataset.lastStep = String(loss.length ? loss[loss.length - 1][0] : -1);
  }
  function drawCompare() {
    var names = [current].concat(compare).filter(function (n) { return runs[n]; });
    $('compare-section').hidden = compare.length === 0;
    if (compare.length === 0) return;
    var series = {};
    names.forEach(function (n) { Object.keys(runs[n].data).forEach(function (s) { series[s] = true; }); });
    Object.keys(series).forEach(function (s) {
      chart($('compare'), 'cmp:' + s, s, names, names.map(function (n) { return runs[n].data[s] || []; }));
    });
    document.body.dataset.compared = String(names.length);
  }
  function draw() { drawCurrent(); drawCompare(); }
  function shipped(series) {
    return Object.keys(series).reduce(function (n, s) { return n + series[s].length; }, 0);
  }
  function live(name, offset) {
    var run = runs[name];
    run.source = new EventSource('/api/live?run=' + encodeURIComponent(name) + '&offset=' + offset);
    run.source.onmessage = function (ev) {
      JSON.parse(ev.data).forEach(function (r) {
        pointsOf(r).forEach(function (p) { (run.data[p[0]] = run.data[p[0]] || []).push([p[1], p[2]]); });
      });
      if (name === current) message('');
      // A page left open on a long run: once the raw points outgrow the reduced ones, ask the server again.
      var loss = run.data.loss || [];
      if (loss.length > 8 * BUCKETS) { run.source.close(); load(name); return; }
      draw();
    };
  }
  // A long run not read by the server yet comes first as a sample of its lines (exact=0), then exactly.
  function load(name) {
    var base = '/api/run?run=' + encodeURIComponent(name) + '&buckets=' + BUCKETS;
    return getJson(base + '&exact=0').then(function (s) {
      runs[name] = { data: s.series, summary: s };
      draw();
      if (!s.sampled) { exactly(name, s); live(name, s.offset); return s; }
      getJson(base).then(function (e) {
        if (!runs[name]) return;
        runs[name] = { data: e.series, summary: e };
        draw();
        exactly(name, e);
        live(name, e.offset);
      }).catch(function (e) { message(e.message); });
      return s;
    });
  }
  // Marks a run's curves as complete (every line read and reduced per pixel column).
  function exactly(name, s) {
    if (name !== current) return;
    document.body.dataset.shipped = String(shipped(s.series));
    document.body.dataset.steps = String(s.steps);
    document.body.dataset.exact = name;
  }
  function clear() {
    Object.keys(charts).forEach(function (k) { charts[k].destroy(); });
    Object.keys(runs).forEach(function (n) { if (runs[n].source) runs[n].source.close(); });
    charts = {}; runs = {};
    $('charts').innerHTML = ''; $('compare').innerHTML = ''; $('images').innerHTML = ''; $('config').textContent = '';
    $('eval').textContent = '(no eval.json yet)';
  }
  function url() {
    return '?run=' + encodeURIComponent(current) + (compare.length ? '&compare=' + compare.map(encodeURIComponent).join(',') : '');
  }
  function showRun(name, s) {
    message(s.message);
    if (s.config) $('config').textContent = JSON.stringify(s.config, null, 2);
    if (s.eval) $('eval').textContent = JSON.stringify(s.eval, null, 2);
    s.images.forEach(function (f) {
      var img = document.createElement('img');
      img.src = '/api/file?run=' + encodeURIComponent(name) + '&file=' + encodeURIComponent(f);
      img.alt = f; img.title = f;
      $('images').appendChild(img);
    });
    document.body.dataset.sampled = String(!!s.sampled);
  }
  function select(name) {
    current = name;
    compare = compare.filter(function (n) { return n !== name; });
    history.replaceState(null, '', url());
    Array.prototype.forEach.call(document.querySelectorAll('nav a'), function (a) { a.classList.toggle('current', a.dataset.run === name); });
    clear();
    $('title').textContent = name;
    load(name).then(function (s) {
      showRun(name, s);
      return Promise.all(compare.map(function (n) { return load(n).catch(function (e) { message(n + ': ' + e.message); }); }));
    }).then(function () {
      // Marks the page drawn (the tests wait for it) once the browser paints the charts; the time is
      // from the navigation's start (performance.now()'s origin).
      requestAnimationFrame(function () {
        document.body.dataset.paintMs = String(Math.round(performance.now()));
        document.body.dataset.loaded = name;
      });
    }).catch(function (e) {
      message(e.message);
      document.body.dataset.loaded = name;
      // A run that selfsup train --dashboard is about to start: its folder appears in a moment.
      if (/not a run folder|No run/.test(e.message)) setTimeout(function () { if (current === name) select(name); }, 2000);
    });
  }
  function toggleCompare(name, on) {
    compare = compare.filter(function (n) { return n !== name; });
    if (on && name !== current) compare.push(name);
    history.replaceState(null, '', url());
    if (on && !runs[name]) load(name).catch(function (e) { message(name + ': ' + e.message); });
    else {
      if (!on && runs[name] && name !== current) { if (runs[name].source) runs[name].source.close(); delete runs[name]; }
      Object.keys(charts).filter(function (k) { return k.indexOf('cmp:') === 0; }).forEach(function (k) {
        charts[k].destroy(); delete charts[k];
      });
      $('compare').innerHTML = '';
      drawCompare();
    }
  }
  getJson('/api/runs').then(function (j) {
    j.runs.forEach(function (r) {
      var row = document.createElement('div');
      row.className = 'run';
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.title = 'compare with the selected run';
      box.dataset.run = r.name;
      box.checked = compare.indexOf(r.name) >= 0;
      box.onchange = function () { toggleCompare(r.name, box.checked); };
      var a = document.createElement('a');
      a.href = '?run=' + encodeURIComponent(r.name);
      a.dataset.run = r.name;
      a.textContent = r.name + (r.method ? ' (' + r.method + ')' : '');
      a.onclick = function (ev) { ev.preventDefault(); select(r.name); };
      row.appendChild(box);
      row.appendChild(a);
      $('runs').appendChild(row);
    });
    if (current) select(current);
    else if (j.runs.length) select(j.runs[j.runs.length - 1].name);
    else message('No run folders in ' + j.root + ' yet');
  }).catch(function (e) { message(e.message); });
})();
</script>
</body></html>
`;
