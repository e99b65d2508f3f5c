"""The report's inline stylesheet and chart script: small SVG line charts in vanilla JS, no network.

The script reads the data from a JSON <script> block and only ever inserts it with textContent or as
SVG attributes, never as HTML, so a hostile title in the data cannot run.
"""

STYLE_CSS = """
:root { --fg:#1d2433; --muted:#667085; --line:#e4e7ec; --accent:#2f6fed; --bg:#ffffff; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { padding:18px 28px 8px; border-bottom:1px solid var(--line); }
header h1 { margin:0 0 4px; font-size:22px; }
header p { margin:0; color:var(--muted); }
main { padding:12px 28px 40px; max-width:1200px; }
nav { display:flex; flex-wrap:wrap; gap:6px; margin:14px 0; }
nav button { border:1px solid var(--line); background:#f8f9fb; border-radius:14px; padding:4px 12px; cursor:pointer; font:inherit; }
nav button.active { background:var(--accent); color:#fff; border-color:var(--accent); }
section.theme { display:none; }
section.theme.active { display:block; }
h2 { font-size:18px; margin:18px 0 6px; }
h3 { font-size:15px; margin:18px 0 6px; color:#344054; }
.chart-host { position:relative; width:100%; min-height:120px; }
.legend { display:flex; gap:14px; flex-wrap:wrap; font-size:12px; color:var(--muted); margin:2px 0 4px; }
.legend span { cursor:pointer; user-select:none; }
.legend span.off { opacity:.35; text-decoration:line-through; }
.legend i { display:inline-block; width:12px; height:3px; margin-right:5px; vertical-align:middle; }
.tooltip { position:absolute; pointer-events:none; background:rgba(29,36,51,.92); color:#fff; font-size:12px; padding:6px 8px; border-radius:6px; white-space:pre; display:none; z-index:2; }
svg.chart text { font-size:11px; fill:var(--muted); }
svg.chart .grid { stroke:var(--line); stroke-width:1; }
svg.chart .zero { stroke:#98a2b3; stroke-dasharray:3 3; }
svg.chart .cursor { stroke:#98a2b3; stroke-width:1; }
table { border-collapse:collapse; font-size:13px; }
th, td { text-align:left; padding:4px 10px 4px 0; border-bottom:1px solid var(--line); vertical-align:top; }
td.num, th.num { text-align:right; }
.bar { display:inline-block; height:8px; background:var(--accent); border-radius:2px; opacity:.7; }
.grid2 { display:grid; grid-template-columns:minmax(240px, 1fr) 2fr; gap:28px; }
.spike { margin:10px 0 14px; }
.spike .when { font-weight:600; }
.spike ul { margin:4px 0 0 0; padding-left:18px; }
.muted { color:var(--muted); }
@media (max-width: 800px) { .grid2 { grid-template-columns:1fr; } }
"""

CHART_JS = r"""
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var NS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, parent) {
    var node = document.createElementNS(NS, tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function finite(v) { return v !== null && v !== undefined && isFinite(v); }
  function extent(values) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (finite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (lo === Infinity) return [0, 1];
    if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }
    return [lo, hi];
  }
  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
  }
  function ticks(lo, hi, n) {
    var step = niceStep((hi - lo) / n || 1), out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function fmt(v, kind) {
    if (!finite(v)) return "-";
    if (kind === "pct") return (v * 100).toFixed(Math.abs(v) < 0.1 ? 1 : 0) + "%";
    if (kind === "pct2") return (v * 100).toFixed(2) + "%";
    if (kind === "int") return String(Math.round(v));
    return v.toFixed(2);
  }
  function pathOf(xs, ys, sx, sy) {
    var d = "", pen = false;
    for (var i = 0; i < xs.length; i++) {
      if (!finite(ys[i])) { pen = false; continue; }
      d += (pen ? "L" : "M") + sx(xs[i]).toFixed(1) + "," + sy(ys[i]).toFixed(1);
      pen = true;
    }
    return d;
  }
  function nearest(times, t) {
    var lo = 0, hi = times.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (times[mid] < t) lo = mid; else hi = mid; }
    return Math.abs(times[lo] - t) <= Math.abs(times[hi] - t) ? lo : hi;
  }

  // spec: {dates, height, series: [{name, values, axis: "left"|"right", color, format, dash}], markers: [dates]}
  function drawChart(host, spec, hidden) {
    while (host.firstChild) host.removeChild(host.firstChild);
    hidden = hidden || {};
    var legend = document.createElement("div");
    legend.className = "legend";
    host.appendChild(legend);
    spec.series.forEach(function (s) {
      var item = document.createElement("span");
      var swatch = document.createElement("i");
      swatch.style.background = s.color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      if (hidden[s.name]) item.className = "off";
      item.addEventListener("click", function () { hidden[s.name] = !hidden[s.name]; drawChart(host, spec, hidden); });
      legend.appendChild(item);
    });
    var W = Math.max(host.clientWidth || 0, 320), H = spec.height || 260;
    var m = { l: 58, r: 64, t: 10, b: 26 };
    var svg = el("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, "class": "chart" }, host);
    var times = spec.dates.map(function (d) { return Date.parse(d + "T00:00:00Z"); });
    if (!times.length) { var empty = el("text", { x: m.l, y: H / 2 }, svg); empty.textContent = "no data"; return; }
    var t0 = times[0], t1 = times[times.length - 1];
    var sx = function (t) { return m.l + (t - t0) / ((t1 - t0) || 1) * (W - m.l - m.r); };
    var visible = spec.series.filter(function (s) { return !hidden[s.name]; });
    var scales = {};
    ["left", "right"].forEach(function (side) {
      var vals = [];
      visible.forEach(function (s) { if (s.axis === side) vals = vals.concat(s.values); });
      if (!vals.length) return;
      var e = extent(vals);
      if (side === "left" && spec.leftFromZero) e[0] = Math.min(0, e[0]);
      var pad = (e[1] - e[0]) * 0.06;
      e = [e[0] - (spec.leftFromZero && side === "left" && e[0] === 0 ? 0 : pad), e[1] + pad];
      var fmtKind = visible.filter(function (s) { return s.axis === side; })[0].format;
      scales[side] = { lo: e[0], hi: e[1], format: fmtKind,
        y: function (v) { return H - m.b - (v - e[0]) / (e[1] - e[0]) * (H - m.t - m.b); } };
    });
    var main = scales.left || scales.right;
    if (main) ticks(main.lo, main.hi, 5).forEach(function (v) {
      var y = main.y(v);
      el("line", { x1: m.l, x2: W - m.r, y1: y, y2: y, "class": v === 0 ? "zero" : "grid" }, svg);
      var label = el("text", { x: m.l - 6, y: y + 4, "text-anchor": "end" }, svg);
      label.textContent = fmt(v, main.format);
    });
    if (scales.left && scales.right) ticks(scales.right.lo, scales.right.hi, 5).forEach(function (v) {
      var label = el("text", { x: W - m.r + 6, y: scales.right.y(v) + 4 }, svg);
      label.textContent = fmt(v, scales.right.format);
    });
    var years = {};
    times.forEach(function (t, i) {
      var d = new Date(t), key = spec.dates.length > 400 ? d.getUTCFullYear() : d.getUTCFullYear() * 12 + d.getUTCMonth();
      if (!(key in years)) years[key] = i;
    });
    var keys = Object.keys(years), every = Math.ceil(keys.length / 10);
    keys.forEach(function (key, k) {
      if (k % every) return;
      var label = el("text", { x: sx(times[years[key]]), y: H - 8, "text-anchor": "middle" }, svg);
      label.textContent = spec.dates[years[key]].slice(0, spec.dates.length > 400 ? 4 : 7);
    });
    visible.forEach(function (s) {
      var scale = scales[s.axis] || main;
      el("path", { d: pathOf(times, s.values, sx, scale.y), fill: "none", stroke: s.color, "stroke-width": s.width || 1.6,
        "stroke-dasharray": s.dash || "none", "class": "series" }, svg);
    });
    (spec.markers || []).forEach(function (date) {
      var i = spec.dates.indexOf(date), s = visible.filter(function (v) { return v.axis === "left"; })[0];
      if (i < 0 || !s || !finite(s.values[i])) return;
      var dot = el("circle", { cx: sx(times[i]), cy: scales.left.y(s.values[i]), r: 4, fill: "#d92d20", "class": "marker" }, svg);
      var title = el("title", {}, dot);
      title.textContent = "spike " + date;
    });
    var cursor = el("line", { y1: m.t, y2: H - m.b, "class": "cursor", visibility: "hidden" }, svg);
    var tip = document.createElement("div");
    tip.className = "tooltip";
    host.appendChild(tip);
    var overlay = el("rect", { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, fill: "transparent" }, svg);
    overlay.addEventListener("mousemove", function (ev) {
      var box = svg.getBoundingClientRect(), x = ev.clientX - box.left;
      var i = nearest(times, t0 + (x - m.l) / (W - m.l - m.r) * (t1 - t0));
      cursor.setAttribute("x1", sx(times[i])); cursor.setAttribute("x2", sx(times[i]));
      cursor.setAttribute("visibility", "visible");
      var lines = [spec.dates[i]];
      visible.forEach(function (s) { lines.push(s.name + ": " + fmt(s.values[i], s.format)); });
      tip.textContent = lines.join("\n");
      tip.style.display = "block";
      tip.style.left = Math.min(x + 12, W - 180) + "px";
      tip.style.top = (m.t + 28) + "px";
    });
    overlay.addEventListener("mouseleave", function () { cursor.setAttribute("visibility", "hidden"); tip.style.display = "none"; });
  }

  var PALETTE = ["#2f6fed", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#db2777"];

  function renderTheme(theme) {
    var t = theme.timeline;
    var attention = [{ name: "attention (share of articles)", values: t.share, axis: "left", color: "#2f6fed", format: "pct" }];
    if (theme.basket) attention.push({ name: "basket cumulative return", values: theme.basket, axis: "right", color: "#059669", format: "pct", dash: "5 3" });
    drawChart(document.getElementById("attention-" + theme.id), { dates: t.dates, series: attention, markers: theme.spike_dates, height: 280, leftFromZero: true });
    var toneHost = document.getElementById("tone-" + theme.id);
    if (toneHost) drawChart(toneHost, { dates: t.dates, height: 200, series: [
      { name: "net tone, 5 sessions", values: t.tone_smooth, axis: "left", color: "#d97706", format: "num", width: 2.2 },
      { name: "net tone (pos-neg)/(pos+neg)", values: t.net_tone, axis: "left", color: "#f3c78b", format: "num", width: 1 },
      { name: "mean sentiment", values: t.mean_sentiment, axis: "left", color: "#9333ea", format: "num", dash: "4 3", width: 1 }
    ] });
  }

  function renderOverview() {
    var host = document.getElementById("overview");
    if (!host || !DATA.overview.dates.length) return;
    drawChart(host, { dates: DATA.overview.dates, height: 260, leftFromZero: true,
      series: DATA.overview.series.map(function (s, k) { return { name: s.name, values: s.values, axis: "left", color: PALETTE[k % PALETTE.length], format: "int" }; }) });
  }

  var rendered = {};
  function show(id) {
    document.querySelectorAll("section.theme").forEach(function (s) { s.classList.toggle("active", s.id === "theme-" + id); });
    document.querySelectorAll("nav button").forEach(function (b) { b.classList.toggle("active", b.getAttribute("data-theme") === id); });
    if (!rendered[id]) {
      DATA.themes.forEach(function (theme) { if (theme.id === id) renderTheme(theme); });
      rendered[id] = true;
    }
  }
  document.querySelectorAll("nav button").forEach(function (b) {
    b.addEventListener("click", function () { show(b.getAttribute("data-theme")); });
  });
  renderOverview();
  if (DATA.themes.length) show(DATA.themes[0].id);
  document.body.setAttribute("data-rendered", "yes");
})();
"""
