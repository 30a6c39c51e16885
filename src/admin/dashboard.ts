// GET /dashboard: the live stats page. One self-contained HTML document (inline CSS and JS, no
// external assets, works offline) that polls /debug/stats every two seconds and renders it.
// Every value is put in the page with textContent, never as markup: route ids, hostnames and
// errors come from manifests and endpoints.

const STYLE = `
:root { --bg:#0f1419; --panel:#182028; --line:#2a3642; --text:#d7dee6; --dim:#8796a5; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --accent:#58a6ff; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 ui-sans-serif, system-ui, sans-serif; background: var(--bg); color: var(--text); }
header { display: flex; gap: 24px; align-items: baseline; padding: 12px 20px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0; }
header .meta { color: var(--dim); }
#status.live { color: var(--ok); } #status.stale { color: var(--bad); }
main { padding: 12px 20px; display: grid; gap: 16px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--dim); margin: 0 0 8px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 4px 8px; border-top: 1px solid var(--line); white-space: nowrap; }
th { color: var(--dim); font-weight: 500; border-top: none; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.err { color: var(--bad); white-space: normal; }
tr.backend > td { background: #1d2731; font-weight: 600; }
tr.endpoint > td:first-child { padding-left: 28px; font-family: ui-monospace, monospace; }
.state { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; }
.state-ready { background: #1f3d27; color: var(--ok); }
.state-ejected, .state-health-check-failing { background: #4a1f1f; color: var(--bad); }
.state-serving-terminating, .state-terminating, .state-not-ready { background: #43361a; color: var(--warn); }
.rate-bad { color: var(--bad); font-weight: 600; }
svg.spark { width: 120px; height: 22px; vertical-align: middle; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.empty { color: var(--dim); }
`;

const SCRIPT = `
'use strict';
const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);
function el(tag, attrs, children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v; else if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children || []) e.append(c);
  return e;
}
const fmt = (n, digits) => (n === null || n === undefined ? '–' : Number(n).toFixed(digits));
const ms = (n) => (n === null ? '–' : n < 10 ? n.toFixed(2) + ' ms' : n < 1000 ? n.toFixed(0) + ' ms' : (n / 1000).toFixed(1) + ' s');
function spark(series) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 120 22');
  const max = Math.max(1, ...series);
  const step = 120 / Math.max(1, series.length - 1);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', series.map((v, i) => (i * step).toFixed(1) + ',' + (21 - (v / max) * 20).toFixed(1)).join(' '));
  svg.append(line);
  return svg;
}
function trafficCells(t) {
  return [
    el('td', { class: 'num rps', text: fmt(t.rps, 2) }),
    el('td', { class: 'num error-rate' + (t.errorRate >= 0.05 ? ' rate-bad' : ''), text: fmt(t.errorRate * 100, 1) + ' %' }),
    el('td', { class: 'num p50', text: ms(t.p50Ms) }),
    el('td', { class: 'num p99', text: ms(t.p99Ms) }),
    el('td', {}, [spark(t.series)]),
  ];
}
function fill(id, rows, empty, cols) {
  const body = $(id);
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, [el('td', { class: 'empty', colspan: String(cols), text: empty })])]));
}
function render(s) {
  $('generation').textContent = String(s.generation);
  $('workers').textContent = String(s.workers);
  $('updated').textContent = new Date(s.generatedAt).toLocaleTimeString();
  fill('listeners', s.listeners.map((l) => el('tr', { 'data-listener': l.name }, [
    el('td', { text: l.name }), el('td', { text: l.protocol }), el('td', { class: 'num', text: String(l.port) }),
    el('td', { text: (l.address || '*') + ':' + l.socketPort }), el('td', { class: 'num', text: String(l.hosts) }),
  ])), 'no listeners', 5);
  fill('routes', s.routes.map((r) => el('tr', { 'data-route': r.id }, [
    el('td', { class: 'id', text: r.id === '-' ? '(no route)' : r.id }), el('td', { text: r.host || '' }), ...trafficCells(r),
  ])), 'no routes', 7);
  $('routes-note').textContent = s.routesTotal > s.routes.length ? 'busiest ' + s.routes.length + ' of ' + s.routesTotal : '';
  const rows = [];
  for (const b of s.backends) {
    rows.push(el('tr', { class: 'backend', 'data-backend': b.id }, [el('td', { text: b.id }), el('td', { text: b.endpoints.length + ' endpoints' }), ...trafficCells(b), el('td'), el('td')]));
    for (const e of b.endpoints) {
      rows.push(el('tr', { class: 'endpoint', 'data-endpoint': e.key, 'data-backend-of': b.id, 'data-state': e.state }, [
        el('td', { text: e.key }),
        el('td', {}, [el('span', { class: 'state state-' + e.state, text: e.state })]),
        el('td', { colspan: '5' }),
        el('td', { class: 'num active', text: String(e.activeRequests) }),
        el('td', { class: 'err last-error', text: e.lastError ? e.lastError.error + ' (' + new Date(e.lastError.at).toLocaleTimeString() + ')' : '' }),
      ]));
    }
  }
  fill('backends', rows, 'no backends', 9);
  fill('diagnostics', s.diagnostics.map((d) => el('tr', { 'data-code': d.code }, [
    el('td', { text: d.severity || '' }), el('td', { text: d.code }), el('td', { text: d.source ? d.source.kind + ' ' + (d.source.namespace ? d.source.namespace + '/' : '') + d.source.name : '' }), el('td', { class: 'err', text: d.message }),
  ])), 'none', 4);
}
async function poll() {
  try {
    const r = await fetch('/debug/stats', { cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    render(await r.json());
    $('status').textContent = 'live'; $('status').className = 'live';
    document.body.dataset.loaded = 'true';
  } catch (err) {
    $('status').textContent = 'stale: ' + err.message; $('status').className = 'stale';
  }
  setTimeout(poll, POLL_MS);
}
poll();
`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice · live stats</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Sluice</h1>
  <span class="meta">table generation <b id="generation">–</b></span>
  <span class="meta">workers <b id="workers">–</b></span>
  <span class="meta">updated <b id="updated">–</b></span>
  <span id="status">loading…</span>
</header>
<main>
  <section><h2>Listeners</h2>
    <table><thead><tr><th>name</th><th>protocol</th><th>port</th><th>socket</th><th>hosts</th></tr></thead><tbody id="listeners"></tbody></table></section>
  <section><h2>Routes · last minute <span id="routes-note" class="meta"></span></h2>
    <table><thead><tr><th>route</th><th>host</th><th>req/s</th><th>5xx</th><th>p50</th><th>p99</th><th>req/s, 1 min</th></tr></thead><tbody id="routes"></tbody></table></section>
  <section><h2>Backends and endpoints · last minute</h2>
    <table><thead><tr><th>backend / endpoint</th><th>state</th><th>req/s</th><th>5xx</th><th>p50</th><th>p99</th><th>req/s, 1 min</th><th>active</th><th>last error</th></tr></thead><tbody id="backends"></tbody></table></section>
  <section><h2>Diagnostics</h2>
    <table><thead><tr><th>severity</th><th>code</th><th>object</th><th>message</th></tr></thead><tbody id="diagnostics"></tbody></table></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
