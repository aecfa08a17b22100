// The back-office console: one static HTML page and its script, served by the API at /ops/console
// (no build step, no external resources). The page holds no data: it asks for the ops key, keeps it
// in sessionStorage (gone when the tab closes) and sends it as a Bearer token to the /ops JSON API.
// Every value from the API is written with textContent, never as HTML.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Onboarding back office</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 16px; margin: 0; flex: 1; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 12px 14px; }
  form.filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: end; margin-bottom: 10px; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #566; gap: 2px; }
  label.inline { flex-direction: row; align-items: center; gap: 4px; }
  input, select, button { font: inherit; padding: 4px 8px; }
  button { cursor: pointer; border: 1px solid #8a94a6; border-radius: 4px; background: #fff; }
  button.primary { background: #2456d3; color: #fff; border-color: #2456d3; }
  button.danger { background: #fff; color: #b42318; border-color: #b42318; }
  button:disabled { opacity: .5; cursor: default; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 5px 6px; border-bottom: 1px solid #eceef2; font-size: 13px; }
  tbody tr { cursor: pointer; }
  tbody tr:hover, tbody tr.selected { background: #eef3ff; }
  .badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; background: #eceef2; }
  .attention { background: #fde7e5; color: #b42318; font-weight: 600; }
  .ok { background: #e6f4ea; color: #1e6b34; }
  .mono { font-family: ui-monospace, monospace; font-size: 12px; }
  #message { min-height: 1.4em; color: #2456d3; }
  #message.error { color: #b42318; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 8px 0; }
  dt { color: #566; }
  dd { margin: 0; overflow-wrap: anywhere; }
  ol#timeline { padding-left: 20px; margin: 4px 0; max-height: 260px; overflow: auto; }
  .actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 10px 0; align-items: center; }
  .hidden { display: none; }
  h2 { font-size: 15px; margin: 4px 0 8px; }
  h3 { font-size: 13px; margin: 10px 0 4px; color: #566; }
</style>
</head>
<body>
<header>
  <h1>Onboarding back office</h1>
  <form id="key-form">
    <input id="key" type="password" autocomplete="off" placeholder="ops API key" aria-label="ops API key">
    <button id="save-key" type="submit">Use key</button>
    <button id="forget-key" type="button">Forget</button>
  </form>
</header>
<main>
  <section>
    <h2>Onboardings</h2>
    <form class="filters" id="filters">
      <label>Stage <select id="stage"><option value="">any</option></select></label>
      <label>Waiting longer than <input id="waiting" placeholder="PT15M" size="8"></label>
      <label class="inline"><input id="needs-attention" type="checkbox"> needs attention / failed</label>
      <button id="search" class="primary" type="submit">Search</button>
    </form>
    <div id="message" role="status"></div>
    <table id="list">
      <thead><tr><th>onboarding</th><th>stage</th><th>in stage since</th><th>attention</th><th>last error</th><th>status</th></tr></thead>
      <tbody></tbody>
    </table>
    <div class="actions"><button id="more" class="hidden" type="button">More</button><span id="count"></span></div>
  </section>
  <section id="detail" class="hidden">
    <h2>Onboarding <span id="detail-id" class="mono"></span></h2>
    <dl>
      <dt>stage</dt><dd><span id="detail-stage" class="badge"></span> <span id="detail-attention" class="badge"></span></dd>
      <dt>since</dt><dd id="detail-since"></dd>
      <dt>next action</dt><dd id="detail-next"></dd>
      <dt>status</dt><dd id="detail-status"></dd>
      <dt>history</dt><dd id="detail-history"></dd>
      <dt>last error</dt><dd id="detail-error"></dd>
    </dl>
    <div class="actions">
      <button id="btn-retry" class="primary" type="button">Retry step</button>
      <button id="btn-restart" type="button">Restart identification</button>
      <input id="cancel-reason" placeholder="reason to cancel" size="18" aria-label="reason to cancel">
      <button id="btn-cancel" class="danger" type="button">Cancel</button>
    </div>
    <h3>Pending activities</h3>
    <table id="pending"><thead><tr><th>activity</th><th>attempt</th><th>state</th><th>last failure</th></tr></thead><tbody></tbody></table>
    <h3>Timeline</h3>
    <ol id="timeline"></ol>
  </section>
</main>
<script src="/ops/console/app.js"></script>
</body>
</html>
`;

export const CONSOLE_SCRIPT = `'use strict';
(function () {
  var STAGES = ['CREATING_USER','AWAITING_EMAIL_CODE','AWAITING_SMS_CODE','AWAITING_KYC_DATA','STARTING_IDENTIFICATION',
    'AWAITING_IDENTIFICATION','VERIFYING_IDENTIFICATION','AWAITING_SIGNATURE','VERIFYING_SIGNATURE','IDENTIFICATION_FAILED',
    'FINALIZING','CREATING_PARTNER_ACCOUNT','AWAITING_PARTNER_KYC','AWAITING_FILES','VERIFYING_PARTNER_ACCOUNT',
    'COMPLETED','FAILED','CANCELLED','ABANDONED'];
  var KEY = 'onboarding-ops-key';
  var $ = function (id) { return document.getElementById(id); };
  var selected = null, nextPageToken = null, detailTimer = null;

  STAGES.forEach(function (s) { var o = document.createElement('option'); o.value = s; o.textContent = s; $('stage').appendChild(o); });

  function key() { return sessionStorage.getItem(KEY) || ''; }
  function say(text, isError) { $('message').textContent = text || ''; $('message').className = isError ? 'error' : ''; }
  function text(el, value) { el.textContent = value === undefined || value === null ? '' : String(value); return el; }
  function cell(row, value, cls) { var td = document.createElement('td'); text(td, value); if (cls) td.className = cls; row.appendChild(td); return td; }

  function api(method, path, body) {
    if (!key()) return Promise.reject(new Error('Enter the ops API key first'));
    var init = { method: method, headers: { authorization: 'Bearer ' + key() } };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (t) {
        var data = t ? JSON.parse(t) : {};
        if (!res.ok) { var e = new Error((data.title || 'Error') + (data.detail ? ': ' + data.detail : '') + ' (' + res.status + ')'); e.status = res.status; throw e; }
        return data;
      });
    });
  }

  function query() {
    var p = new URLSearchParams();
    if ($('stage').value) p.set('stage', $('stage').value);
    if ($('waiting').value.trim()) p.set('waitingLongerThan', $('waiting').value.trim());
    if ($('needs-attention').checked) p.set('needsAttention', 'true');
    p.set('pageSize', '50');
    return p;
  }

  function load(append) {
    var p = query();
    if (append && nextPageToken) p.set('pageToken', nextPageToken);
    say('Loading…');
    return api('GET', '/ops/onboardings?' + p.toString()).then(function (page) {
      var body = $('list').querySelector('tbody');
      if (!append) body.textContent = '';
      page.items.forEach(function (item) {
        var tr = document.createElement('tr');
        tr.dataset.id = item.onboardingId;
        if (item.onboardingId === selected) tr.className = 'selected';
        cell(tr, item.onboardingId, 'mono');
        cell(tr, item.stage);
        cell(tr, item.stageEnteredAt.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z'));
        var a = cell(tr, item.needsAttention ? 'needs attention' : '');
        if (item.needsAttention) a.className = 'badge attention';
        cell(tr, item.lastError ? item.lastError.type : '');
        cell(tr, item.status);
        tr.addEventListener('click', function () { show(item.onboardingId); });
        body.appendChild(tr);
      });
      nextPageToken = page.nextPageToken || null;
      $('more').className = nextPageToken ? '' : 'hidden';
      text($('count'), body.children.length + ' shown');
      say(page.items.length || append ? '' : 'No onboarding matches these filters.');
    }).catch(function (e) { say(e.message, true); });
  }

  function show(id) {
    selected = id;
    Array.prototype.forEach.call($('list').querySelectorAll('tbody tr'), function (tr) { tr.className = tr.dataset.id === id ? 'selected' : ''; });
    if (detailTimer) clearInterval(detailTimer);
    detailTimer = setInterval(function () { if (selected) refreshDetail(); }, 2000);
    return refreshDetail();
  }

  function refreshDetail() {
    var id = selected;
    return api('GET', '/ops/onboardings/' + encodeURIComponent(id)).then(function (d) {
      if (id !== selected) return;
      $('detail').className = '';
      text($('detail-id'), d.onboardingId);
      text($('detail-stage'), d.stage);
      text($('detail-attention'), d.needsAttention ? 'needs attention' : 'ok');
      $('detail-attention').className = 'badge ' + (d.needsAttention ? 'attention' : 'ok');
      text($('detail-since'), d.stageEnteredAt);
      text($('detail-next'), d.view ? d.view.nextAction.type + (d.view.reason ? ' (' + d.view.reason + ')' : '') : (d.viewUnavailable ? 'no worker answered' : ''));
      text($('detail-status'), d.status);
      text($('detail-history'), d.historyLength + ' events');
      text($('detail-error'), d.lastError ? d.lastError.type + (d.lastError.step ? ' at ' + d.lastError.step : '') + (d.lastError.message ? ': ' + d.lastError.message : '') : '—');
      var ended = d.status !== 'RUNNING';
      $('btn-retry').disabled = ended; $('btn-cancel').disabled = ended;
      $('btn-restart').disabled = ended || d.stage !== 'IDENTIFICATION_FAILED';
      var pending = $('pending').querySelector('tbody'); pending.textContent = '';
      d.pendingActivities.forEach(function (p) {
        var tr = document.createElement('tr');
        cell(tr, p.activityType); cell(tr, p.attempt); cell(tr, p.state);
        cell(tr, p.lastFailure ? p.lastFailure.type + ': ' + p.lastFailure.message : '');
        pending.appendChild(tr);
      });
      if (!d.pendingActivities.length) { var tr = document.createElement('tr'); cell(tr, 'none'); pending.appendChild(tr); }
      var tl = $('timeline'); tl.textContent = '';
      (d.view ? d.view.timeline : []).forEach(function (t) { var li = document.createElement('li'); text(li, t.at + '  ' + t.step); tl.appendChild(li); });
    }).catch(function (e) { say(e.message, true); });
  }

  function act(action, body) {
    if (!selected) return;
    var id = selected;
    say('Sending ' + action + '…');
    return api('POST', '/ops/onboardings/' + encodeURIComponent(id) + '/' + action, body || {}).then(function (r) {
      say(r.action + ' accepted for ' + r.onboardingId);
      return refreshDetail();
    }).catch(function (e) { say(e.message, true); });
  }

  $('key-form').addEventListener('submit', function (e) {
    e.preventDefault();
    if ($('key').value) sessionStorage.setItem(KEY, $('key').value);
    $('key').value = '';
    load(false);
  });
  $('forget-key').addEventListener('click', function () {
    sessionStorage.removeItem(KEY);
    $('list').querySelector('tbody').textContent = '';
    $('detail').className = 'hidden'; selected = null;
    say('Key forgotten.');
  });
  $('filters').addEventListener('submit', function (e) { e.preventDefault(); load(false); });
  $('more').addEventListener('click', function () { load(true); });
  $('btn-retry').addEventListener('click', function () { act('retry'); });
  $('btn-restart').addEventListener('click', function () { act('restart-identification'); });
  $('btn-cancel').addEventListener('click', function () {
    var reason = $('cancel-reason').value.trim();
    if (!reason) { say('Give a reason to cancel.', true); return; }
    if (!confirm('Cancel onboarding ' + selected + '?')) return;
    act('cancel', { reason: reason });
  });
  if (key()) load(false); else say('Enter the ops API key to see onboardings.');
})();
`;
