// The fleet dashboard: reads the JSON API under /api/ (same origin, the session cookie) and draws it.
import Chart from 'chart.js/auto';

const charts = {};

async function get(path) {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function text(value) {
  return value === null || value === undefined ? '–' : String(value);
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return 'never';
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function cell(row, content, className) {
  const td = document.createElement('td');
  if (content instanceof Node) td.appendChild(content); else td.textContent = content;
  if (className) td.className = className;
  row.appendChild(td);
}

function badge(label, className) {
  const span = document.createElement('span');
  span.className = `badge ${className}`;
  span.textContent = label;
  return span;
}

function renderDevices(devices, completeness) {
  const byDevice = new Map(completeness.map(c => [c.device, c]));
  const body = document.querySelector('#devices tbody');
  body.replaceChildren();
  for (const d of devices) {
    const row = document.createElement('tr');
    row.dataset.device = d.device;
    row.dataset.status = d.status ?? 'unknown';
    if (d.status !== 'online') row.classList.add('offline');
    cell(row, d.device);
    cell(row, badge(d.status ?? 'unknown', d.status === 'online' ? 'online' : 'offline'));
    cell(row, age(d.heartbeatAgeSeconds));
    cell(row, d.health ? badge(d.health, d.health === 'healthy' ? 'online' : 'warn') : '–');
    cell(row, d.temperatureC === null ? '–' : d.temperatureC.toFixed(1));
    cell(row, text(d.thermalLevel));
    cell(row, text(d.outboxBacklog));
    cell(row, text(d.configVersion));
    cell(row, (d.cameras ?? []).map(c => `${c.id}: ${c.state}`).join(', ') || '–');
    const c = byDevice.get(d.device);
    cell(row, c ? (c.unexplainedGaps === 0 ? `${c.records} records, complete` : `${c.unexplainedMissing} missing in ${c.unexplainedGaps} gaps`) : '–',
      c && c.unexplainedGaps > 0 ? 'warn' : '');
    body.appendChild(row);
  }
}

function renderRollouts(rollouts) {
  const body = document.querySelector('#rollouts tbody');
  body.replaceChildren();
  for (const r of rollouts) {
    const row = document.createElement('tr');
    row.dataset.rollout = r.id;
    row.dataset.state = r.state;
    cell(row, r.id);
    cell(row, r.version);
    cell(row, badge(r.reason ? `${r.state}: ${r.reason}` : r.state, r.state === 'halted' ? 'offline' : r.state === 'completed' ? 'online' : 'warn'));
    const counts = new Map();
    for (const d of r.devices) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
    cell(row, [...counts].map(([state, n]) => `${n} ${state}`).join(', '));
    row.title = r.devices.map(d => `${d.device} (wave ${d.wave}): ${d.state}${d.reason ? ' – ' + d.reason : ''}`).join('\n');
    body.appendChild(row);
  }
}

function renderSummary(devices, alerts) {
  const online = devices.filter(d => d.status === 'online').length;
  const summary = document.getElementById('summary');
  summary.replaceChildren();
  for (const [id, label] of [['device-count', `${devices.length} devices`], ['online-count', `${online} online`],
    ['offline-count', `${devices.length - online} offline`], ['alert-count', `${alerts.length} alerts`]]) {
    const span = document.createElement('span');
    span.id = id;
    span.textContent = label;
    summary.appendChild(span);
  }
}

function renderAlerts(alerts) {
  const list = document.getElementById('alerts');
  list.replaceChildren();
  if (alerts.length === 0) { list.textContent = 'none'; return; }
  for (const a of alerts) {
    const li = document.createElement('li');
    li.dataset.kind = a.kind;
    li.dataset.device = a.device;
    const kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = a.kind;
    li.append(kind, `${a.device}${a.camera ? ' / ' + a.camera : ''}: ${a.detail}`);
    list.appendChild(li);
  }
}

function renderSeries(id, series, label) {
  const labels = [...new Set(series.flatMap(s => s.points.map(p => p.t)))].sort();
  const datasets = series.map(s => ({
    label: s.name,
    data: labels.map(t => s.points.find(p => p.t === t)?.v ?? null),
    spanGaps: true,
    pointRadius: 2,
  }));
  const canvas = document.getElementById(id);
  // How many points the chart holds: what a test (or a person) checks first.
  canvas.parentElement.dataset.points = String(datasets.reduce((n, d) => n + d.data.filter(v => v !== null).length, 0));
  charts[id]?.destroy();
  charts[id] = new Chart(canvas, {
    type: 'line',
    data: { labels: labels.map(t => new Date(t).toLocaleString()), datasets },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: label } } } },
  });
}

async function refresh() {
  const bucket = document.getElementById('bucket').value;
  try {
    const [devices, completeness, alerts, counts, occupancy, rollouts] = await Promise.all([
      get('api/devices'), get('api/completeness'), get('api/alerts'),
      get(`api/counts?bucket=${bucket}`), get(`api/occupancy?bucket=${bucket}`), get('api/rollouts'),
    ]);
    renderSummary(devices, alerts);
    renderAlerts(alerts);
    renderDevices(devices, completeness);
    renderRollouts(rollouts);
    renderSeries('counts', counts, 'people (in + out)');
    renderSeries('occupancy', occupancy, 'people in zone (mean)');
    document.body.dataset.loaded = 'true';
  } catch (error) {
    document.getElementById('summary').textContent = `cannot load: ${error.message}`;
  }
}

document.getElementById('bucket').addEventListener('change', refresh);
refresh();
setInterval(refresh, 15000);
