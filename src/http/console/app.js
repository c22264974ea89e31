// Skiff console: plain DOM and hand-drawn SVG charts over the broker's /api/. No framework,
// no build step, nothing fetched from outside the broker. Data is always set as text, never
// as HTML, so topic names, keys and values cannot inject markup.
'use strict';

const page = document.getElementById('page');
let cluster = null;
// Timers of the page on screen; cleared when the route changes.
let timers = [];

// ---------- helpers ----------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(path, opts) {
  const res = await fetch('/api/' + path, opts && opts.body !== undefined ? { ...opts, headers: { 'content-type': 'application/json' }, body: JSON.stringify(opts.body) } : opts);
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.status + ' ' + res.statusText);
  return data;
}

function toast(text, error) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.className = error ? 'error' : '';
  t.style.display = 'block';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.style.display = 'none'), 3000);
}

function every(ms, fn) {
  // A failed refresh (broker restarting, say) keeps the last data on screen and says why.
  const id = setInterval(() => Promise.resolve(fn()).catch((err) => toast(err.message, true)), ms);
  timers.push(id);
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

const num = (n) => Number(n).toLocaleString('en-US');
const td = (v, cls) => h('td', { class: cls }, v);
const table = (heads, rows, attrs) =>
  h('table', attrs, h('thead', {}, h('tr', {}, heads.map((x) => h('th', { class: x.endsWith(' ') ? 'num' : '' }, x.trim())))), h('tbody', {}, rows));
const stateBadge = (s) => h('span', { class: 'state ' + s }, s);

function mutationsAllowed() {
  return !(cluster && cluster.readOnly);
}

// ---------- charts ----------

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed'];
const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** Lines over time: series = [{ name, points: [[timeMs, value]] }]. */
function lineChart(series, opts) {
  const W = opts.width || 560, H = opts.height || 180, L = 56, B = 20, T = 10, R = 10;
  const all = series.flatMap((x) => x.points);
  const svg = s('svg', { class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'data-testid': opts.testid || '' });
  const t0 = Math.min(...all.map((p) => p[0]), Date.now() - 60000), t1 = Math.max(...all.map((p) => p[0]), t0 + 1000);
  const max = Math.max(1, ...all.map((p) => p[1])) * 1.1;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#eee' }));
    svg.append(s('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, opts.format ? opts.format(v) : v.toFixed(0)));
  }
  svg.append(s('text', { x: L, y: H - 4 }, `${Math.round((t1 - t0) / 1000)} s`));
  series.forEach((ser, i) => {
    if (ser.points.length === 0) return;
    const d = ser.points.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    svg.append(s('path', { d, fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2 }));
  });
  const legend = h('div', { class: 'legend' }, series.map((ser, i) => h('span', {}, h('i', { style: `background:${COLORS[i % COLORS.length]}` }), ser.name)));
  return h('div', {}, h('div', { class: 'muted' }, opts.title), svg, legend);
}

/** Horizontal bars: items = [{ label, value }]. */
function barChart(items, opts) {
  const W = 560, row = 22, L = 160, H = Math.max(1, items.length) * row + 8;
  const max = Math.max(1, ...items.map((i) => i.value));
  const svg = s('svg', { class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'data-testid': opts.testid || '' });
  items.forEach((it, i) => {
    const y = 4 + i * row;
    svg.append(s('text', { x: L - 6, y: y + 14, 'text-anchor': 'end' }, it.label));
    svg.append(s('rect', { x: L, y: y + 3, height: row - 8, width: Math.max(1, ((W - L - 70) * it.value) / max), fill: COLORS[0] }));
    svg.append(s('text', { x: L + ((W - L - 70) * it.value) / max + 6, y: y + 14 }, num(it.value)));
  });
  return h('div', {}, h('div', { class: 'muted' }, opts.title), svg);
}

// ---------- pages ----------

const throughput = { samples: [] };

async function sampleThroughput() {
  const t = await api('throughput');
  throughput.samples.push(t);
  if (throughput.samples.length > 61) throughput.samples.shift();
}

function rates(key) {
  const out = [];
  const xs = throughput.samples;
  for (let i = 1; i < xs.length; i++) {
    const dt = (xs[i].timeMs - xs[i - 1].timeMs) / 1000;
    if (dt > 0) out.push([xs[i].timeMs, Math.max(0, (xs[i][key] - xs[i - 1][key]) / dt)]);
  }
  return out;
}

async function clusterPage() {
  cluster = await api('cluster');
  const charts = h('div', { class: 'grid2' });
  const drawCharts = () => {
    charts.replaceChildren(
      lineChart([{ name: 'in', points: rates('bytesIn') }, { name: 'out', points: rates('bytesOut') }], { title: 'Bytes per second', format: bytes, testid: 'chart-bytes' }),
      lineChart([{ name: 'messages in', points: rates('messagesIn') }, { name: 'requests', points: rates('requests') }], { title: 'Messages and requests per second', testid: 'chart-messages' }),
    );
  };
  await sampleThroughput();
  drawCharts();
  every(2000, async () => {
    await sampleThroughput();
    drawCharts();
  });
  const filter = h('input', { placeholder: 'filter configs', oninput: () => drawConfigs() });
  const configs = h('div');
  const drawConfigs = () => {
    const f = filter.value.toLowerCase();
    configs.replaceChildren(
      table(['name', 'value', 'source'], cluster.configs.filter((c) => c.name.includes(f)).map((c) => h('tr', { title: c.doc }, td(c.name), td(c.isSensitive ? '(hidden)' : c.value ?? ''), td(c.isDefault ? 'default' : 'set')))),
    );
  };
  drawConfigs();
  page.replaceChildren(
    h('h1', {}, 'Cluster ', h('span', { class: 'muted' }, cluster.clusterId)),
    h('div', { class: 'cards' },
      card('Brokers', cluster.brokers.length),
      card('Controller', cluster.controllerId),
      card('Kafka connections', cluster.connections),
      card('Uptime', Math.round(cluster.uptimeMs / 1000) + ' s'),
      card('Storage', cluster.memory ? 'memory' : cluster.dataDir),
    ),
    h('h2', {}, 'Live throughput'),
    charts,
    h('h2', {}, 'Brokers'),
    table(['node', 'host', 'port', 'rack'], cluster.brokers.map((b) => h('tr', {}, td(b.nodeId), td(b.host), td(b.port), td(b.rack ?? '')))),
    h('details', {}, h('summary', {}, h('h2', {}, `Features: ${cluster.apis.length} APIs served`)),
      table(['key ', 'API', 'versions'], cluster.apis.map((a) => h('tr', {}, td(a.apiKey, 'num'), td(a.name), td(`${a.minVersion}-${a.maxVersion}`))))),
    h('details', { open: true }, h('summary', {}, h('h2', {}, 'Broker configs')), filter, configs),
  );
}

function card(label, value) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value));
}

async function topicsPage() {
  const topics = await api('topics');
  const name = h('input', { name: 'name', placeholder: 'topic name', required: true, 'data-testid': 'new-topic-name' });
  const partitions = h('input', { name: 'partitions', type: 'number', min: 1, value: 1, style: 'width:80px', 'data-testid': 'new-topic-partitions' });
  const create = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api('topics', { method: 'POST', body: { name: name.value, partitions: Number(partitions.value) } });
        toast(`created ${name.value}`);
        route();
      } catch (err) {
        toast(err.message, true);
      }
    },
  }, h('label', {}, 'Name', name), h('label', {}, 'Partitions', partitions), h('button', { type: 'submit', disabled: !mutationsAllowed(), 'data-testid': 'create-topic' }, 'Create topic'));
  const del = async (t) => {
    if (!confirm(`Delete topic ${t}?`)) return;
    try {
      await api('topics/' + encodeURIComponent(t), { method: 'DELETE' });
      toast(`deleted ${t}`);
      route();
    } catch (err) {
      toast(err.message, true);
    }
  };
  page.replaceChildren(
    h('h1', {}, 'Topics'),
    create,
    table(['name', 'partitions ', 'records ', 'size ', ''], topics.map((t) =>
      h('tr', { 'data-topic': t.name },
        td(h('a', { href: '#/topics/' + encodeURIComponent(t.name) }, t.name), t.internal ? 'muted' : ''),
        td(t.partitions, 'num'), td(num(t.records), 'num'), td(bytes(t.sizeBytes), 'num'),
        td(h('span', {}, h('a', { href: '#/messages/' + encodeURIComponent(t.name) }, 'messages'), ' ', t.internal ? '' : h('button', { class: 'danger', disabled: !mutationsAllowed(), onclick: () => del(t.name) }, 'Delete'))),
      )), { 'data-testid': 'topics' }),
  );
}

async function topicPage(name) {
  const t = await api('topics/' + encodeURIComponent(name));
  page.replaceChildren(
    h('h1', {}, 'Topic ', t.name, ' ', h('span', { class: 'muted' }, t.topicId)),
    h('a', { href: '#/messages/' + encodeURIComponent(t.name) }, 'Browse messages'),
    h('h2', {}, 'Partitions'),
    table(['partition ', 'leader ', 'log start ', 'high watermark ', 'last stable ', 'size ', 'segments ', 'producers '], t.partitions.map((p) =>
      h('tr', {}, td(p.partition, 'num'), td(p.leader, 'num'), td(num(p.logStartOffset), 'num'), td(num(p.highWatermark), 'num'), td(num(p.lastStableOffset), 'num'), td(bytes(p.sizeBytes), 'num'), td(p.segments, 'num'), td(p.producers, 'num')))),
    h('h2', {}, 'Configs'),
    table(['name', 'value', 'source'], t.configs.map((c) => h('tr', {}, td(c.name), td(c.value ?? ''), td(c.isDefault ? 'default' : 'topic')))),
  );
}

function decodeBase64(b64) {
  if (b64 === null) return null;
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function show(b64, format) {
  const data = decodeBase64(b64);
  if (data === null) return h('span', { class: 'muted' }, 'null');
  if (format === 'hex') return h('pre', {}, Array.from(data, (b) => b.toString(16).padStart(2, '0')).join(' '));
  const text = new TextDecoder().decode(data);
  if (format === 'json') {
    try {
      return h('pre', {}, JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      return h('pre', { title: 'not JSON' }, text);
    }
  }
  return h('pre', {}, text);
}

async function messagesPage(topicName) {
  const topics = (await api('topics')).filter((t) => !t.internal);
  if (!topicName && topics.length > 0) topicName = topics[0].name;
  const topicSel = h('select', { 'data-testid': 'msg-topic', onchange: () => (location.hash = '#/messages/' + encodeURIComponent(topicSel.value)) }, topics.map((t) => h('option', { value: t.name, selected: t.name === topicName }, t.name)));
  const info = topics.find((t) => t.name === topicName);
  const partSel = h('select', { 'data-testid': 'msg-partition' }, Array.from({ length: info ? info.partitions : 0 }, (_, i) => h('option', { value: i }, i)));
  const offset = h('input', { placeholder: 'offset (-10: last 10)', style: 'width:150px', 'data-testid': 'msg-offset' });
  const time = h('input', { type: 'datetime-local', 'data-testid': 'msg-time' });
  const format = h('select', { 'data-testid': 'msg-format', onchange: () => draw() }, ['text', 'json', 'hex'].map((f) => h('option', { value: f }, f)));
  const tail = h('input', { type: 'checkbox', 'data-testid': 'msg-tail' });
  const body = h('tbody');
  let messages = [];
  let next = null;
  const draw = () => {
    body.replaceChildren(...messages.map((m) =>
      h('tr', { 'data-offset': m.offset }, td(m.offset, 'num'), td(new Date(m.timestamp).toISOString()), td(show(m.key, format.value)), td(show(m.value, format.value)),
        td(m.headers.map((x) => h('div', {}, x.key + ': ', show(x.value, 'text')))))));
  };
  const load = async () => {
    if (!info) return;
    const q = time.value ? 'timestamp=' + new Date(time.value).getTime() : offset.value ? 'offset=' + encodeURIComponent(offset.value) : 'offset=-50';
    const r = await api(`topics/${encodeURIComponent(topicName)}/partitions/${partSel.value}/messages?${q}&limit=200`);
    messages = r.messages;
    next = r.nextOffset;
    draw();
  };
  every(1000, async () => {
    if (!tail.checked || next === null) return;
    const r = await api(`topics/${encodeURIComponent(topicName)}/partitions/${partSel.value}/messages?offset=${next}&limit=200`);
    if (r.messages.length === 0) return;
    messages = messages.concat(r.messages).slice(-500);
    next = r.nextOffset;
    draw();
  });
  const key = h('input', { placeholder: 'key (empty: null)', 'data-testid': 'produce-key' });
  const value = h('textarea', { placeholder: 'value', 'data-testid': 'produce-value' });
  const headers = h('textarea', { placeholder: 'headers, one name=value a line', 'data-testid': 'produce-headers' });
  const produce = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      const hs = headers.value.split('\n').filter((l) => l.trim()).map((l) => {
        const i = l.indexOf('=');
        return i < 0 ? { key: l.trim(), value: null } : { key: l.slice(0, i).trim(), value: l.slice(i + 1) };
      });
      try {
        const r = await api(`topics/${encodeURIComponent(topicName)}/partitions/${partSel.value}/messages`, { method: 'POST', body: { key: key.value === '' ? null : key.value, value: value.value, headers: hs } });
        toast(`produced at offset ${r.offset}`);
        if (!tail.checked) await load();
      } catch (err) {
        toast(err.message, true);
      }
    },
  }, h('label', {}, 'Key', key), h('label', {}, 'Value', value), h('label', {}, 'Headers', headers), h('button', { type: 'submit', disabled: !mutationsAllowed() || !info, 'data-testid': 'produce' }, 'Produce'));
  page.replaceChildren(
    h('h1', {}, 'Messages'),
    h('div', { class: 'toolbar' },
      h('label', {}, 'Topic', topicSel), h('label', {}, 'Partition', partSel), h('label', {}, 'From offset', offset), h('label', {}, 'or from time', time),
      h('button', { onclick: load, 'data-testid': 'msg-load' }, 'Load'), h('label', {}, 'Show as', format), h('label', { class: 'check' }, tail, 'live tail')),
    h('table', { 'data-testid': 'messages' }, h('thead', {}, h('tr', {}, ['offset', 'timestamp', 'key', 'value', 'headers'].map((x) => h('th', {}, x)))), body),
    h('h2', {}, 'Produce a message'),
    produce,
  );
  partSel.addEventListener('change', load);
  await load();
}

async function groupsPage() {
  const groups = await api('groups');
  page.replaceChildren(
    h('h1', {}, 'Consumer groups'),
    groups.length === 0 ? h('p', { class: 'muted' }, 'No consumer groups yet.') : table(['group', 'type', 'state', 'members ', 'lag '], groups.map((g) =>
      h('tr', { 'data-group': g.groupId }, td(h('a', { href: '#/groups/' + encodeURIComponent(g.groupId) }, g.groupId)), td(g.type), td(stateBadge(g.state)), td(g.members, 'num'), td(num(g.lag), 'num'))), { 'data-testid': 'groups' }),
    groups.length === 0 ? null : barChart(groups.map((g) => ({ label: g.groupId, value: Number(g.lag) })), { title: 'Lag by group', testid: 'chart-group-lag' }),
  );
}

/** topic: partitions; ... as the members table shows an assignment. */
function partitionList(assignment) {
  return (assignment || []).map((a) => `${a.topic}: ${a.partitions.join(', ')}`).join('; ');
}

async function groupPage(id) {
  const history = [];
  const root = h('div');
  const topicSel = h('select', { 'data-testid': 'reset-topic' });
  const to = h('select', { 'data-testid': 'reset-to' }, ['earliest', 'latest', 'offset'].map((x) => h('option', { value: x }, x)));
  const off = h('input', { type: 'number', placeholder: 'offset', style: 'width:110px', 'data-testid': 'reset-offset' });
  const reset = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api(`groups/${encodeURIComponent(id)}/reset-offsets`, { method: 'POST', body: { topic: topicSel.value, to: to.value, offset: off.value === '' ? undefined : Number(off.value) } });
        toast('offsets reset');
        await refresh();
      } catch (err) {
        toast(err.message, true);
      }
    },
  }, h('label', {}, 'Topic', topicSel), h('label', {}, 'To', to), h('label', {}, 'Offset', off), h('button', { type: 'submit', disabled: !mutationsAllowed(), 'data-testid': 'reset' }, 'Reset offsets'));
  const refresh = async () => {
    const g = await api('groups/' + encodeURIComponent(id));
    const total = g.offsets.reduce((a, o) => a + Number(o.lag), 0);
    history.push([Date.now(), total]);
    if (history.length > 120) history.shift();
    const topics = [...new Set(g.offsets.map((o) => o.topic).concat(g.members.flatMap((m) => (m.assignment || []).map((a) => a.topic))))];
    if (topicSel.options.length !== topics.length) topicSel.replaceChildren(...topics.map((t) => h('option', { value: t }, t)));
    root.replaceChildren(
      h('div', { class: 'cards' }, card('State', stateBadge(g.state)), card('Type', g.type), card('Members', g.members.length), card(g.type === 'consumer' ? 'Assignor' : 'Protocol', g.protocol || '-'),
        g.type === 'consumer' ? card('Group / assignment epoch', `${g.groupEpoch} / ${g.assignmentEpoch}`) : null,
        h('div', { class: 'card', 'data-testid': 'total-lag' }, h('div', { class: 'label' }, 'Total lag'), h('div', { class: 'value' }, num(total)))),
      h('h2', {}, 'Members'),
      g.members.length === 0 ? h('p', { class: 'muted' }, 'No active members.') : g.type === 'consumer'
        ? table(['member', 'protocol', 'epoch ', 'client', 'host', 'assignment', 'target assignment'], g.members.map((m) =>
          h('tr', { 'data-member': m.memberId }, td(m.memberId), td(m.memberProtocol), td(m.memberEpoch, 'num'), td(m.clientId), td(m.clientHost), td(partitionList(m.assignment)), td(partitionList(m.targetAssignment)))), { 'data-testid': 'group-members' })
        : table(['member', 'client', 'host', 'assignment'], g.members.map((m) =>
          h('tr', { 'data-member': m.memberId }, td(m.memberId), td(m.clientId), td(m.clientHost), td(partitionList(m.assignment)))), { 'data-testid': 'group-members' }),
      h('h2', {}, 'Offsets and lag'),
      h('div', { class: 'grid2' },
        barChart(g.offsets.map((o) => ({ label: `${o.topic}-${o.partition}`, value: Number(o.lag) })), { title: 'Lag per partition', testid: 'chart-partition-lag' }),
        lineChart([{ name: 'total lag', points: history }], { title: 'Total lag over time', testid: 'chart-lag-history' })),
      table(['topic', 'partition ', 'committed ', 'end ', 'lag '], g.offsets.map((o) =>
        h('tr', { 'data-partition': `${o.topic}-${o.partition}` }, td(o.topic), td(o.partition, 'num'), td(num(o.committedOffset), 'num'), td(num(o.logEndOffset), 'num'), td(num(o.lag), 'num lag'))), { 'data-testid': 'group-offsets' }),
    );
  };
  page.replaceChildren(h('h1', {}, 'Consumer group ', id), root, h('h2', {}, 'Reset offsets (group must be empty)'), reset);
  await refresh();
  every(1000, refresh);
}

async function transactionsPage() {
  const { transactions, producers } = await api('transactions');
  page.replaceChildren(
    h('h1', {}, 'Transactions'),
    transactions.length === 0 ? h('p', { class: 'muted' }, 'No transactional producers yet.') : table(['transactional id', 'state', 'producer id ', 'epoch ', 'timeout ', 'open for', 'partitions'], transactions.map((t) =>
      h('tr', {}, td(t.transactionalId), td(stateBadge(t.state)), td(t.producerId, 'num'), td(t.producerEpoch, 'num'), td(t.timeoutMs + ' ms', 'num'), td(t.ageMs === null ? '' : Math.round(t.ageMs / 1000) + ' s'),
        td(t.partitions.map((p) => `${p.topic}: ${p.partitions.join(', ')}`).join('; '))))),
    h('h2', {}, 'Producers by partition'),
    producers.length === 0 ? h('p', { class: 'muted' }, 'No idempotent producers have written yet.') : table(['topic', 'partition ', 'producer id ', 'epoch ', 'last sequence ', 'last write', 'open transaction from '], producers.map((p) =>
      h('tr', {}, td(p.topic), td(p.partition, 'num'), td(p.producerId, 'num'), td(p.producerEpoch, 'num'), td(p.lastSequence, 'num'), td(p.lastTimestamp > 0 ? new Date(p.lastTimestamp).toISOString() : ''), td(p.currentTxnStartOffset >= 0 ? p.currentTxnStartOffset : '', 'num')))),
  );
}

// ---------- routing ----------

async function route() {
  for (const id of timers) clearInterval(id);
  timers = [];
  delete page.dataset.ready;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [section, arg] = parts;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.nav === (section || 'cluster'));
  try {
    if (cluster === null) cluster = await api('cluster');
    document.getElementById('mode').textContent = cluster.readOnly ? 'read-only' : '';
    if (!section) await clusterPage();
    else if (section === 'topics' && arg) await topicPage(arg);
    else if (section === 'topics') await topicsPage();
    else if (section === 'messages') await messagesPage(arg);
    else if (section === 'groups' && arg) await groupPage(arg);
    else if (section === 'groups') await groupsPage();
    else if (section === 'transactions') await transactionsPage();
    else page.replaceChildren(h('p', {}, 'No such page.'));
    page.dataset.ready = section || 'cluster';
  } catch (err) {
    page.replaceChildren(h('p', { class: 'muted' }, 'Could not load: ' + err.message));
  }
}

window.addEventListener('hashchange', route);
route();
