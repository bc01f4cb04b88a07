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
nav a { display: block; padding: 4px 6px; color: #224; text-decoration: none; border-radius: 4px; word-break: break-all; }
nav a.current { background: #dde3f0; font-weight: 600; }
main { padding: 12px 20px; flex: 1; min-width: 0; }
#message { color: #a33; font-weight: 600; min-height: 1em; }
#charts { display: flex; flex-wrap: wrap; gap: 12px; }
#images img { max-width: 420px; margin: 4px; border: 1px solid #ddd; image-rendering: pixelated; }
pre { background: #f8f8f8; padding: 8px; overflow: auto; max-height: 320px; }
</style></head>
<body>
<nav><strong>Runs</strong><div id="runs"></div></nav>
<main>
<h1 id="title">selfsup</h1>
<p id="message"></p>
<section id="charts"></section>
<h2>Evaluation</h2><pre id="eval">(no eval.json yet)</pre>
<h2>Pictures</h2><div id="images"></div>
<h2>Config</h2><pre id="config"></pre>
</main>
<script src="/uplot.js"></script>
<script>
(function () {
  'use strict';
  var current = new URLSearchParams(location.search).get('run');
  var charts = {};
  var data = {};
  var source = null;
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];

  function $(id) { return document.getElementById(id); }
  function message(text) { $('message').textContent = text || ''; }
  function getJson(url) {
    return fetch(url).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; });
    });
  }
  // The same points as the server's pointsOf (lib/dashboard/run-reader.ts).
  function pointsOf(r) {
    var out = [];
    var step = typeof r.step === 'number' ? r.step : 0;
    function add(name, v) { if (typeof v === 'number' && isFinite(v)) out.push([name, step, v]); }
    if (r.type === 'step') { add('loss', r.loss); add('lr', r.lr); add('img/s', r.imgPerSec); add('emb std', r.embStd); }
    else if (r.type === 'knn') { Object.keys(r.top1 || {}).forEach(function (k) { add('k-NN@' + k + ' (%)', 100 * r.top1[k]); }); }
    return out;
  }
  function groups() {
    var g = {};
    Object.keys(data).forEach(function (s) { var name = s.indexOf('k-NN') === 0 ? 'k-NN top-1 (%)' : s; (g[name] = g[name] || []).push(s); });
    return g;
  }
  function aligned(series) {
    var steps = {};
    series.forEach(function (s) { data[s].forEach(function (p) { steps[p[0]] = true; }); });
    var xs = Object.keys(steps).map(Number).sort(function (a, b) { return a - b; });
    var cols = [xs];
    series.forEach(function (s) {
      var at = {};
      data[s].forEach(function (p) { at[p[0]] = p[1]; });
      cols.push(xs.map(function (x) { return x in at ? at[x] : null; }));
    });
    return cols;
  }
  function draw() {
    var g = groups();
    Object.keys(g).forEach(function (name) {
      var cols = aligned(g[name]);
      if (charts[name]) { charts[name].setData(cols); return; }
      var box = document.createElement('div');
      box.className = 'chart';
      box.dataset.series = name;
      $('charts').appendChild(box);
      charts[name] = new uPlot({
        title: name, width: 460, height: 220, scales: { x: { time: false } },
        series: [{ label: 'step' }].concat(g[name].map(function (s, i) { return { label: s, stroke: COLORS[i % COLORS.length], spanGaps: true }; })),
      }, cols, box);
    });
    document.body.dataset.points = String((data.loss || []).length);
    document.body.dataset.lastStep = String(data.loss && data.loss.length ? data.loss[data.loss.length - 1][0] : -1);
  }
  function clear() {
    Object.keys(charts).forEach(function (k) { charts[k].destroy(); });
    charts = {}; data = {};
    $('charts').innerHTML = ''; $('images').innerHTML = ''; $('config').textContent = ''; $('eval').textContent = '(no eval.json yet)';
    if (source) { source.close(); source = null; }
  }
  function live(offset) {
    source = new EventSource('/api/live?run=' + encodeURIComponent(current) + '&offset=' + offset);
    source.onmessage = function (ev) {
      JSON.parse(ev.data).forEach(function (r) {
        pointsOf(r).forEach(function (p) { (data[p[0]] = data[p[0]] || []).push([p[1], p[2]]); });
      });
      message('');
      draw();
    };
  }
  function select(name) {
    current = name;
    history.replaceState(null, '', '?run=' + encodeURIComponent(name));
    Array.prototype.forEach.call(document.querySelectorAll('nav a'), function (a) { a.classList.toggle('current', a.dataset.run === name); });
    clear();
    $('title').textContent = name;
    getJson('/api/run?run=' + encodeURIComponent(name)).then(function (s) {
      data = s.series;
      message(s.message);
      if (s.config) $('config').textContent = JSON.stringify(s.config, null, 2);
      if (s.eval) $('eval').textContent = JSON.stringify(s.eval, null, 2);
      s.images.forEach(function (f) {
        var img = document.createElement('img');
        img.src = '/api/file?run=' + encodeURIComponent(name) + '&file=' + encodeURIComponent(f);
        img.alt = f; img.title = f;
        $('images').appendChild(img);
      });
      draw();
      document.body.dataset.loaded = name;
      live(s.offset);
    }).catch(function (e) {
      message(e.message);
      document.body.dataset.loaded = name;
    });
  }
  getJson('/api/runs').then(function (j) {
    j.runs.forEach(function (r) {
      var a = document.createElement('a');
      a.href = '?run=' + encodeURIComponent(r.name);
      a.dataset.run = r.name;
      a.textContent = r.name + (r.method ? ' (' + r.method + ')' : '');
      a.onclick = function (ev) { ev.preventDefault(); select(r.name); };
      $('runs').appendChild(a);
    });
    if (current) select(current);
    else if (j.runs.length) select(j.runs[j.runs.length - 1].name);
    else message('No run folders in ' + j.root + ' yet');
  }).catch(function (e) { message(e.message); });
})();
</script>
</body></html>
`;
