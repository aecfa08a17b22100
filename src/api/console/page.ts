// The back-office console: one static HTML page and its script, served by the API at /ops/console
// (no build step, no external resources: the charts are plain inline SVG drawn by the script). The
// page holds no data: it asks for the ops key, keeps it in sessionStorage (gone when the tab closes)
// and sends it as a Bearer token to the /ops JSON API (whoami, stats, list and search, detail and
// trail, actions, batch actions with a dry run first). Every value from the API is written with
// textContent, never as HTML.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Onboarding back office</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 16px; margin: 0; flex: 1; }
  header label { color: #cfd5e0; }
  #whoami { font-size: 13px; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; padding: 16px 20px; }
  .wide { grid-column: 1 / -1; display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
  section { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 12px 14px; }
  form { display: flex; gap: 10px; flex-wrap: wrap; align-items: end; margin-bottom: 10px; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #455; gap: 2px; }
  label.inline { flex-direction: row; align-items: center; gap: 4px; }
  input, select, button { font: inherit; padding: 4px 8px; }
  button { cursor: pointer; border: 1px solid #8a94a6; border-radius: 4px; background: #fff; color: #1d2330; }
  button.primary { background: #2456d3; color: #fff; border-color: #2456d3; }
  button.danger { background: #fff; color: #b42318; border-color: #b42318; }
  button.link { border: 0; background: none; padding: 0; color: #2456d3; text-decoration: underline; font-family: ui-monospace, monospace; font-size: 12px; }
  button:disabled { opacity: .5; cursor: default; }
  :focus-visible { outline: 3px solid #f5a524; outline-offset: 2px; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 5px 6px; border-bottom: 1px solid #eceef2; font-size: 13px; vertical-align: top; }
  tbody tr.selected { background: #eef3ff; }
  .badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; background: #eceef2; }
  .attention { background: #fde7e5; color: #b42318; font-weight: 600; }
  .ok { background: #e6f4ea; color: #1e6b34; }
  .mono { font-family: ui-monospace, monospace; font-size: 12px; }
  .status { min-height: 1.4em; color: #2456d3; }
  .status.error { color: #b42318; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 8px 0; }
  dt { color: #566; }
  dd { margin: 0; overflow-wrap: anywhere; }
  ol#trail { padding-left: 36px; margin: 4px 0; max-height: 300px; overflow: auto; }
  ol#trail li { margin-bottom: 2px; }
  .actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 10px 0; align-items: end; }
  .hidden, [hidden] { display: none !important; }
  h2 { font-size: 15px; margin: 4px 0 8px; }
  h3 { font-size: 13px; margin: 10px 0 4px; color: #455; }
  svg text { font: 11px system-ui, sans-serif; fill: #1d2330; }
  svg .bar { cursor: pointer; }
  svg .bar:focus { outline: none; }
  svg .bar:focus rect.hit, svg .bar:hover rect.hit { fill: #eef3ff; }
  .legend { font-size: 12px; color: #455; }
  .swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; }
  fieldset { border: 1px solid #d8dce3; border-radius: 6px; margin-top: 10px; }
</style>
</head>
<body>
<header>
  <h1>Onboarding back office</h1>
  <span id="whoami" role="status" aria-live="polite">Not signed in</span>
  <form id="key-form">
    <label for="key">Ops API key</label>
    <input id="key" type="password" autocomplete="off">
    <button id="save-key" type="submit">Use key</button>
    <button id="forget-key" type="button">Forget key</button>
  </form>
</header>
<main>
  <div class="wide">
    <section aria-labelledby="funnel-title">
      <h2 id="funnel-title">Where onboardings are</h2>
      <p class="legend">Running per stage, ended per end and reason; choose a bar to list them.
        <span class="swatch" style="background:#2456d3"></span>running <span class="swatch" style="background:#7a8599"></span>ended</p>
      <div id="funnel"></div>
      <button id="refresh-stats" type="button">Refresh figures</button>
      <div id="stats-message" class="status" role="status"></div>
    </section>
    <section aria-labelledby="durations-title">
      <h2 id="durations-title">Time spent per stage</h2>
      <p class="legend"><span class="swatch" style="background:#2456d3"></span>median (p50) <span class="swatch" style="background:#a9bdf0"></span>p90</p>
      <div id="durations"></div>
    </section>
  </div>
  <section aria-labelledby="list-title">
    <h2 id="list-title">Onboardings</h2>
    <form id="person-search" role="search" aria-label="Find by person">
      <label for="search-email">E-mail</label><input id="search-email" type="email" autocomplete="off" size="22">
      <label for="search-phone">Phone number</label><input id="search-phone" type="tel" autocomplete="off" size="14">
      <button id="find" type="submit">Find person</button>
    </form>
    <form id="filters" aria-label="Filters">
      <label>Stage <select id="stage"><option value="">any</option></select></label>
      <label>Waiting longer than <input id="waiting" placeholder="PT15M" size="8"></label>
      <label class="inline"><input id="needs-attention" type="checkbox"> needs attention / failed</label>
      <button id="search" class="primary" type="submit">Search</button>
    </form>
    <div id="message" class="status" role="status" aria-live="polite"></div>
    <table id="list" aria-busy="false">
      <caption class="legend" id="list-caption"></caption>
      <thead><tr><th scope="col">onboarding</th><th scope="col">stage</th><th scope="col">in stage since</th><th scope="col">attention</th><th scope="col">last error</th><th scope="col">status</th></tr></thead>
      <tbody></tbody>
    </table>
    <div class="actions"><button id="more" class="hidden" type="button">More</button><span id="count"></span></div>
    <fieldset id="batch">
      <legend>Batch action on these filters</legend>
      <div class="actions">
        <label>Action <select id="batch-action"><option value="retry">retry</option><option value="restart-identification">restart-identification</option><option value="cancel">cancel</option></select></label>
        <label>Reason <input id="batch-reason" size="20"></label>
        <button id="batch-preview" type="button">Preview (dry run)</button>
        <button id="batch-run" class="danger" type="button" disabled>Run</button>
      </div>
      <div id="batch-message" class="status" role="status" aria-live="polite"></div>
      <table id="batch-results" hidden><thead><tr><th scope="col">onboarding</th><th scope="col">stage</th><th scope="col">outcome</th><th scope="col">detail</th></tr></thead><tbody></tbody></table>
    </fieldset>
  </section>
  <section id="detail" hidden aria-labelledby="detail-title">
    <h2 id="detail-title" tabindex="-1">Onboarding <span id="detail-id" class="mono"></span></h2>
    <dl>
      <dt>stage</dt><dd><span id="detail-stage" class="badge"></span> <span id="detail-attention" class="badge"></span></dd>
      <dt>since</dt><dd id="detail-since"></dd>
      <dt>status</dt><dd id="detail-status"></dd>
      <dt>next action</dt><dd id="detail-next"></dd>
      <dt>pending step</dt><dd id="detail-error"></dd>
      <dt>ids</dt><dd id="detail-ids" class="mono"></dd>
      <dt>workflow</dt><dd><a id="detail-temporal" target="_blank" rel="noopener noreferrer" hidden>Open in the Temporal UI</a><span id="detail-temporal-none" class="legend"></span></dd>
    </dl>
    <div class="actions" id="detail-actions">
      <button id="btn-retry" class="primary" type="button" hidden>Retry step now</button>
      <button id="btn-restart" type="button" hidden>Restart identification</button>
      <span id="cancel-group" hidden><label>Reason to cancel <input id="cancel-reason" size="18" required></label>
      <button id="btn-cancel" class="danger" type="button">Cancel onboarding</button></span>
    </div>
    <div id="detail-message" class="status" role="status" aria-live="polite"></div>
    <h3>Pending activities</h3>
    <table id="pending"><thead><tr><th scope="col">activity</th><th scope="col">attempt</th><th scope="col">state</th><th scope="col">last failure</th></tr></thead><tbody></tbody></table>
    <h3>Trail</h3>
    <p class="legend">Newest first.</p>
    <ol id="trail" reversed></ol>
  </section>
</main>
<script src="/ops/console/app.js"></script>
</body>
</html>
`;

export const CONSOLE_SCRIPT = `'use strict';
(function () {
  var RUNNING = ['CREATING_USER','AWAITING_EMAIL_CODE','AWAITING_SMS_CODE','AWAITING_KYC_DATA','STARTING_IDENTIFICATION',
    'AWAITING_IDENTIFICATION','VERIFYING_IDENTIFICATION','AWAITING_SIGNATURE','VERIFYING_SIGNATURE','IDENTIFICATION_FAILED',
    'FINALIZING','CREATING_PARTNER_ACCOUNT','AWAITING_PARTNER_KYC','AWAITING_FILES','VERIFYING_PARTNER_ACCOUNT'];
  var ENDS = ['COMPLETED','FAILED','CANCELLED','ABANDONED'];
  var SVG = 'http://www.w3.org/2000/svg';
  var KEY = 'onboarding-ops-key';
  var $ = function (id) { return document.getElementById(id); };
  // listSeq: only the latest list request may fill the table (a slow earlier one would overwrite it).
  // relist: the last list asked for (filters or a person), shown again after an action.
  var selected = null, nextPageToken = null, detailTimer = null, previewed = null, listSeq = 0, relist = null;

  RUNNING.concat(ENDS).forEach(function (s) { var o = document.createElement('option'); o.value = s; o.textContent = s; $('stage').appendChild(o); });

  function key() { return sessionStorage.getItem(KEY) || ''; }
  function sayIn(id, value, isError) { $(id).textContent = value || ''; $(id).className = 'status' + (isError ? ' error' : ''); }
  function say(value, isError) { sayIn('message', value, isError); }
  function text(el, value) { el.textContent = value === undefined || value === null ? '' : String(value); return el; }
  function cell(row, value, cls) { var td = document.createElement('td'); text(td, value); if (cls) td.className = cls; row.appendChild(td); return td; }
  function time(iso) { return iso ? String(iso).replace('T', ' ').replace(/[.][0-9]+Z$/, 'Z') : ''; }
  function seconds(s) {
    if (s < 10) return s.toFixed(1) + ' s';
    if (s < 90) return Math.round(s) + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    if (s < 172800) return (s / 3600).toFixed(1) + ' h';
    return (s / 86400).toFixed(1) + ' d';
  }
  function svg(name, attrs, parent) {
    var el = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(el);
    return el;
  }

  function api(method, path, body) {
    if (!key()) return Promise.reject(new Error('Enter the ops API key first'));
    var init = { method: method, headers: { authorization: 'Bearer ' + key() } };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (t) {
        var data = {};
        try { data = t ? JSON.parse(t) : {}; } catch (e) { data = {}; }
        if (!res.ok) {
          var detail = data.detail || (data.errors && data.errors.length ? data.errors.map(function (x) { return x.path + ': ' + x.message; }).join('; ') : '');
          var e = new Error((data.title || 'Error') + (detail ? ': ' + detail : '') + ' (' + res.status + ')'); e.status = res.status; throw e;
        }
        return data;
      });
    });
  }

  // ------------------------------------------------------------------ who is signed in
  function signIn() {
    return api('GET', '/ops/whoami').then(function (w) {
      text($('whoami'), 'Signed in as ' + w.actor);
      return true;
    }).catch(function (e) {
      text($('whoami'), 'Not signed in');
      if (e.status === 401) { sessionStorage.removeItem(KEY); say('That key was refused.', true); } else say(e.message, true);
      return false;
    });
  }

  // ------------------------------------------------------------------ charts
  // One horizontal bar per stage: running ones first in the flow's order, then the ends. Each bar
  // is a keyboard-reachable button that lists the onboardings in that stage.
  function drawFunnel(stats) {
    var rows = RUNNING.map(function (s) { return { stage: s, n: stats.running[s] || 0, ended: false }; });
    // Each end, then its reasons (most first) as indented bars: where and why people stop.
    ENDS.forEach(function (s) {
      rows.push({ stage: s, n: stats.ended[s] || 0, ended: true });
      var reasons = (stats.endedByReason || {})[s] || {};
      Object.keys(reasons).filter(function (r) { return r !== 'none'; })
        .sort(function (a, b) { return reasons[b] - reasons[a] || (a < b ? -1 : 1); })
        .forEach(function (r) { rows.push({ stage: s, reason: r, n: reasons[r], ended: true }); });
    });
    var max = Math.max.apply(null, rows.map(function (r) { return r.n; }).concat([1]));
    var rowH = 20, labelW = 190, barW = 260, width = labelW + barW + 50;
    var root = svg('svg', { width: width, height: rows.length * rowH + 4, role: 'group', 'aria-label': 'Onboardings per stage' });
    rows.forEach(function (r, i) {
      var y = i * rowH + 2;
      var attrs = { 'class': 'bar', tabindex: 0, role: 'button', 'data-stage': r.stage,
        'aria-label': r.stage + (r.reason ? ' (' + r.reason + ')' : '') + ': ' + r.n + (r.ended ? ' ended' : ' running') + '; list ' + (r.reason ? r.stage : 'them') };
      if (r.reason) attrs['data-reason'] = r.reason;
      var g = svg('g', attrs, root);
      svg('rect', { 'class': 'hit', x: 0, y: y, width: width, height: rowH - 2, fill: 'transparent' }, g);
      text(svg('text', { x: labelW - 6, y: y + 13, 'text-anchor': 'end', 'font-style': r.reason ? 'italic' : 'normal' }, g), r.reason ? r.reason : r.stage);
      svg('rect', { x: labelW, y: y + (r.reason ? 5 : 2), width: Math.max(r.n ? 2 : 0, Math.round(barW * r.n / max)), height: rowH - (r.reason ? 12 : 6), fill: r.reason ? '#a7afbd' : r.ended ? '#7a8599' : '#2456d3' }, g);
      text(svg('text', { x: labelW + Math.round(barW * r.n / max) + 6, y: y + 13 }, g), r.n);
      var open = function () { listStage(r.stage); };
      g.addEventListener('click', open);
      g.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } });
    });
    $('funnel').textContent = '';
    $('funnel').appendChild(root);
  }

  function drawDurations(stats) {
    var stages = RUNNING.filter(function (s) { return stats.stageDurations[s]; });
    $('durations').textContent = '';
    if (!stages.length) { text($('durations'), 'No stage has been left yet.'); return; }
    var max = Math.max.apply(null, stages.map(function (s) { return stats.stageDurations[s].p90Seconds; }).concat([1]));
    var rowH = 20, labelW = 190, barW = 220;
    var root = svg('svg', { width: labelW + barW + 110, height: stages.length * rowH + 4, role: 'img', 'aria-labelledby': 'durations-desc' });
    var desc = svg('desc', { id: 'durations-desc' }, root);
    text(desc, stages.map(function (s) { var d = stats.stageDurations[s]; return s + ': median ' + seconds(d.p50Seconds) + ', p90 ' + seconds(d.p90Seconds); }).join('; '));
    stages.forEach(function (s, i) {
      var d = stats.stageDurations[s], y = i * rowH + 2;
      var row = svg('g', { 'data-stage': s }, root);
      text(svg('text', { x: labelW - 6, y: y + 13, 'text-anchor': 'end' }, row), s);
      svg('rect', { x: labelW, y: y + 2, width: Math.max(1, Math.round(barW * d.p90Seconds / max)), height: rowH - 6, fill: '#a9bdf0' }, row);
      svg('rect', { x: labelW, y: y + 2, width: Math.max(1, Math.round(barW * d.p50Seconds / max)), height: rowH - 6, fill: '#2456d3' }, row);
      text(svg('text', { x: labelW + Math.round(barW * d.p90Seconds / max) + 6, y: y + 13 }, row), seconds(d.p50Seconds) + ' / ' + seconds(d.p90Seconds));
    });
    $('durations').appendChild(root);
  }

  function loadStats() {
    return api('GET', '/ops/stats').then(function (stats) {
      sayIn('stats-message', '');
      drawFunnel(stats); drawDurations(stats);
    }).catch(function (e) { sayIn('stats-message', e.message, true); });
  }

  function listStage(stage) {
    $('stage').value = stage; $('waiting').value = ''; $('needs-attention').checked = false;
    $('search-email').value = ''; $('search-phone').value = '';
    return load(false).then(function () { var first = $('list').querySelector('tbody button'); if (first) first.focus(); });
  }

  // ------------------------------------------------------------------ the list
  // The list is aria-busy while its latest request is out; an earlier answer is dropped.
  function busy() { $('list').setAttribute('aria-busy', 'true'); return ++listSeq; }
  function idle() { $('list').setAttribute('aria-busy', 'false'); }
  function filters() {
    var f = {};
    if ($('stage').value) f.stage = $('stage').value;
    if ($('waiting').value.trim()) f.waitingLongerThan = $('waiting').value.trim();
    if ($('needs-attention').checked) f.needsAttention = true;
    return f;
  }
  function filterQuery() {
    var p = new URLSearchParams(), f = filters();
    Object.keys(f).forEach(function (k) { p.set(k, String(f[k])); });
    p.set('pageSize', '50');
    return p;
  }

  function render(items, append, caption) {
    var body = $('list').querySelector('tbody');
    if (!append) body.textContent = '';
    items.forEach(function (item) {
      var tr = document.createElement('tr');
      tr.dataset.id = item.onboardingId;
      if (item.onboardingId === selected) tr.className = 'selected';
      var td = document.createElement('td'), b = document.createElement('button');
      b.type = 'button'; b.className = 'link'; text(b, item.onboardingId);
      b.setAttribute('aria-label', 'Open onboarding ' + item.onboardingId);
      b.addEventListener('click', function () { show(item.onboardingId, true); });
      td.appendChild(b); tr.appendChild(td);
      cell(tr, item.stage);
      cell(tr, time(item.stageEnteredAt));
      var a = cell(tr, item.needsAttention ? 'needs attention' : '');
      if (item.needsAttention) a.className = 'badge attention';
      cell(tr, item.lastError ? describeError(item.lastError) : '');
      cell(tr, item.status);
      body.appendChild(tr);
    });
    text($('list-caption'), caption);
    text($('count'), body.children.length + ' shown');
  }

  function load(append) {
    var p = filterQuery();
    if (append && nextPageToken) p.set('pageToken', nextPageToken);
    if (!append) relist = function () { return load(false); };
    var seq = busy();
    say('Loading…');
    return api('GET', '/ops/onboardings?' + p.toString()).then(function (page) {
      if (seq !== listSeq) return;
      idle();
      var f = filters();
      render(page.items, append, Object.keys(f).length ? 'Filtered by ' + Object.keys(f).map(function (k) { return k + '=' + f[k]; }).join(', ') : 'All onboardings');
      nextPageToken = page.nextPageToken || null;
      $('more').className = nextPageToken ? '' : 'hidden';
      say(page.items.length || append ? '' : 'No onboarding matches these filters.');
      invalidatePreview();
    }).catch(function (e) { if (seq === listSeq) { idle(); say(e.message, true); } });
  }

  function findPerson() {
    var email = $('search-email').value.trim(), phone = $('search-phone').value.trim();
    if (!email && !phone) { say('Give an e-mail or a phone number.', true); $('search-email').focus(); return Promise.resolve(); }
    if (email && phone) { say('Search by e-mail or by phone number, one at a time.', true); return Promise.resolve(); }
    var p = new URLSearchParams();
    if (email) p.set('email', email); else p.set('phoneNumber', phone);
    say('Searching…');
    relist = findPerson;
    var seq = busy();
    return api('GET', '/ops/onboardings?' + p.toString()).then(function (page) {
      if (seq !== listSeq) return;
      idle();
      render(page.items, false, 'Onboardings of ' + (email ? 'this e-mail' : 'this phone number'));
      nextPageToken = null; $('more').className = 'hidden';
      say(page.items.length ? '' : 'No onboarding of this person.');
    }).catch(function (e) { if (seq === listSeq) { idle(); say(e.message, true); } });
  }

  // ------------------------------------------------------------------ batch: a dry run first
  function batchBody(dryRun) {
    var b = filters();
    b.dryRun = dryRun;
    var reason = $('batch-reason').value.trim();
    if (reason) b.reason = reason;
    return b;
  }
  function batchKey() { return $('batch-action').value + '|' + JSON.stringify(batchBody(false)); }
  function invalidatePreview() { previewed = null; $('batch-run').disabled = true; text($('batch-run'), 'Run'); }

  function showReport(r) {
    var body = $('batch-results').querySelector('tbody'); body.textContent = '';
    r.results.forEach(function (x) {
      var tr = document.createElement('tr'); tr.dataset.id = x.onboardingId;
      var dry = x.detail === 'dry run';
      cell(tr, x.onboardingId, 'mono'); cell(tr, x.stage); cell(tr, dry ? 'would be done' : x.outcome); cell(tr, dry ? '' : x.detail);
      body.appendChild(tr);
    });
    $('batch-results').hidden = !r.results.length;
  }

  function previewBatch() {
    var action = $('batch-action').value;
    if (!Object.keys(filters()).length) { sayIn('batch-message', 'Choose a filter first (stage, waiting longer than or needs attention).', true); return Promise.resolve(); }
    if (action === 'cancel' && !$('batch-reason').value.trim()) { sayIn('batch-message', 'Give a reason to cancel.', true); $('batch-reason').focus(); return Promise.resolve(); }
    var k = batchKey();
    sayIn('batch-message', 'Previewing…');
    return api('POST', '/ops/onboardings/batch/' + action, batchBody(true)).then(function (r) {
      showReport(r);
      // A dry run reports what it would act on as skipped with the detail 'dry run'.
      var would = r.results.filter(function (x) { return x.detail === 'dry run'; }).length;
      sayIn('batch-message', 'Dry run: ' + action + ' would apply to ' + would + ' of ' + r.matched + ' matched' + (r.truncated ? ' (more than one batch: run it again after)' : '') + '. Nothing was done.');
      previewed = k;
      $('batch-run').disabled = would === 0;
      text($('batch-run'), 'Run ' + action + ' on ' + would);
    }).catch(function (e) { sayIn('batch-message', e.message, true); });
  }

  function runBatch() {
    var action = $('batch-action').value;
    if (previewed !== batchKey()) { invalidatePreview(); sayIn('batch-message', 'The filters changed: preview again first.', true); return Promise.resolve(); }
    sayIn('batch-message', 'Running ' + action + '…');
    $('batch-run').disabled = true;
    return api('POST', '/ops/onboardings/batch/' + action, batchBody(false)).then(function (r) {
      showReport(r);
      sayIn('batch-message', action + ': ' + r.counts.done + ' done, ' + r.counts.refused + ' refused, ' + r.counts.skipped + ' skipped, ' + r.counts.error + ' errors.');
      previewed = null; text($('batch-run'), 'Run');
      return Promise.all([load(false), loadStats()]);
    }).catch(function (e) { sayIn('batch-message', e.message, true); });
  }

  // ------------------------------------------------------------------ one onboarding
  function show(id, focus) {
    selected = id;
    Array.prototype.forEach.call($('list').querySelectorAll('tbody tr'), function (tr) { tr.className = tr.dataset.id === id ? 'selected' : ''; });
    if (detailTimer) clearInterval(detailTimer);
    detailTimer = setInterval(function () { if (selected) refreshDetail(); }, 2000);
    sayIn('detail-message', '');
    return refreshDetail().then(function () { if (focus) $('detail-title').focus(); });
  }

  function describeError(e) {
    if (!e) return 'none failing';
    var parts = [e.type + (e.step ? ' at ' + e.step : '')];
    if (e.httpStatus) parts.push('provider answered ' + e.httpStatus);
    if (e.attempts) parts.push(e.attempts + ' attempts');
    if (e.since) parts.push('since ' + time(e.since));
    return parts.join(', ') + (e.message ? ': ' + e.message : '');
  }

  function describeEvent(ev) {
    switch (ev.type) {
      case 'STAGE_CHANGED': return 'stage ' + (ev.previousStage ? ev.previousStage + ' → ' : '') + ev.stage + (ev.reason ? ' (' + ev.reason + ')' : '');
      case 'OPS_ACTION': return 'ops action ' + ev.action + ' by ' + ev.actor + (ev.reason ? ' (' + ev.reason + ')' : '');
      case 'PROVIDER_FAILURE': return 'provider failure at ' + ev.step + ': ' + ev.failureType;
      case 'MESSAGE_REFUSED': return 'message refused: ' + ev.message + ' (' + ev.reason + ')';
      default: return ev.type;
    }
  }

  function refreshDetail() {
    var id = selected;
    var detail = api('GET', '/ops/onboardings/' + encodeURIComponent(id));
    var trail = api('GET', '/ops/onboardings/' + encodeURIComponent(id) + '/events').catch(function (e) { return { error: e }; });
    return Promise.all([detail, trail]).then(function (both) {
      if (id !== selected) return;
      var d = both[0], t = both[1];
      $('detail').hidden = false;
      text($('detail-id'), d.onboardingId);
      text($('detail-stage'), d.stage);
      var fromRecord = d.source === 'record';
      var running = fromRecord ? !d.endedAt : d.status === 'RUNNING';
      text($('detail-attention'), d.needsAttention ? 'needs attention' : 'ok');
      $('detail-attention').className = 'badge ' + (d.needsAttention ? 'attention' : 'ok');
      text($('detail-since'), time(d.stageEnteredAt));
      text($('detail-status'), fromRecord ? 'from the record (gone from Temporal)' + (d.reason ? ', ' + d.reason : '') : d.status + ', ' + d.historyLength + ' history events');
      text($('detail-next'), d.view ? d.view.nextAction.type + (d.view.reason ? ' (' + d.view.reason + ')' : '') : (d.viewUnavailable ? 'no worker answered' : ''));
      // A step is failing when it is flagged, or when a pending activity has failed (its quick
      // retries); the view keeps its last error after the step went through, which is history.
      var failing = Boolean(d.lastError) && (d.needsAttention || (d.pendingActivities || []).some(function (p) { return p.lastFailure; }));
      text($('detail-error'), failing ? describeError(d.lastError) : 'none failing' + (d.lastError ? ' (last failure: ' + describeError(d.lastError) + ')' : ''));
      var ids = Object.assign({ onboardingId: d.onboardingId }, d.runId ? { workflowId: 'onboarding-' + d.onboardingId, runId: d.runId } : {}, d.view ? d.view.ids : d.ids || {});
      text($('detail-ids'), Object.keys(ids).filter(function (k) { return ids[k] !== undefined && ids[k] !== null; }).map(function (k) { return k + ' ' + ids[k]; }).join(' · '));
      var link = $('detail-temporal');
      link.hidden = !d.temporalUiUrl;
      if (d.temporalUiUrl && /^https?:/.test(d.temporalUiUrl)) link.href = d.temporalUiUrl; else link.removeAttribute('href');
      text($('detail-temporal-none'), d.temporalUiUrl ? '' : fromRecord ? 'gone from Temporal' : 'no Temporal UI configured (TEMPORAL_UI_URL)');
      // Actions only where they apply: a retry needs a failing step, a restart a failed identification.
      $('btn-retry').hidden = !(running && !fromRecord && failing);
      $('btn-restart').hidden = !(running && !fromRecord && d.stage === 'IDENTIFICATION_FAILED');
      $('cancel-group').hidden = !(running && !fromRecord);
      var pending = $('pending').querySelector('tbody'); pending.textContent = '';
      (d.pendingActivities || []).forEach(function (p) {
        var tr = document.createElement('tr');
        cell(tr, p.activityType); cell(tr, p.attempt); cell(tr, p.state);
        cell(tr, p.lastFailure ? p.lastFailure.type + (p.lastFailure.httpStatus ? ' (' + p.lastFailure.httpStatus + ')' : '') + ': ' + p.lastFailure.message : '');
        pending.appendChild(tr);
      });
      if (!pending.children.length) { var none = document.createElement('tr'); cell(none, 'none'); pending.appendChild(none); }
      var ol = $('trail'); ol.textContent = '';
      if (t.error) { var li = document.createElement('li'); text(li, 'The trail is not available: ' + t.error.message); ol.appendChild(li); }
      else t.items.slice().reverse().forEach(function (ev) {
        var item = document.createElement('li'); item.dataset.type = ev.type; item.value = ev.seq;
        text(item, time(ev.at) + '  ' + describeEvent(ev)); ol.appendChild(item);
      });
    }).catch(function (e) { sayIn('detail-message', e.message, true); });
  }

  function act(action, body) {
    if (!selected) return Promise.resolve();
    var id = selected;
    sayIn('detail-message', 'Sending ' + action + '…');
    return api('POST', '/ops/onboardings/' + encodeURIComponent(id) + '/' + action, body || {}).then(function (r) {
      sayIn('detail-message', r.action + ' accepted for ' + r.onboardingId);
      return Promise.all([refreshDetail(), loadStats(), relist ? relist() : null]);
    }).catch(function (e) { sayIn('detail-message', e.message, true); });
  }

  // ------------------------------------------------------------------ wiring
  function start() {
    return signIn().then(function (ok) { if (ok) { loadStats(); load(false); } });
  }
  $('key-form').addEventListener('submit', function (e) {
    e.preventDefault();
    if ($('key').value) sessionStorage.setItem(KEY, $('key').value);
    $('key').value = '';
    start();
  });
  $('forget-key').addEventListener('click', function () {
    sessionStorage.removeItem(KEY);
    if (detailTimer) clearInterval(detailTimer);
    $('list').querySelector('tbody').textContent = '';
    $('batch-results').querySelector('tbody').textContent = ''; $('batch-results').hidden = true;
    $('funnel').textContent = ''; $('durations').textContent = ''; $('trail').textContent = '';
    $('detail').hidden = true; selected = null;
    text($('whoami'), 'Not signed in'); text($('count'), ''); text($('list-caption'), '');
    say('Key forgotten.');
  });
  $('filters').addEventListener('submit', function (e) { e.preventDefault(); load(false); });
  $('person-search').addEventListener('submit', function (e) { e.preventDefault(); findPerson(); });
  $('more').addEventListener('click', function () { load(true); });
  ['stage', 'waiting', 'needs-attention', 'batch-action', 'batch-reason'].forEach(function (id) { $(id).addEventListener('change', invalidatePreview); });
  $('refresh-stats').addEventListener('click', loadStats);
  $('batch-preview').addEventListener('click', previewBatch);
  $('batch-run').addEventListener('click', runBatch);
  $('btn-retry').addEventListener('click', function () { act('retry'); });
  $('btn-restart').addEventListener('click', function () { act('restart-identification'); });
  $('btn-cancel').addEventListener('click', function () {
    var reason = $('cancel-reason').value.trim();
    if (!reason) { sayIn('detail-message', 'Give a reason to cancel.', true); $('cancel-reason').focus(); return; }
    if (!confirm('Cancel onboarding ' + selected + '?')) return;
    act('cancel', { reason: reason });
  });
  if (key()) start(); else say('Enter the ops API key to see onboardings.');
})();
`;
