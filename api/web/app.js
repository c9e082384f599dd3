// pinwatch's operator page: reads /api/v1/ with the operator's token and renders what it
// answers. Everything from the API reaches the page through textContent (el() below), never
// as markup. The token lives in this tab's sessionStorage only: no cookie, no localStorage.
'use strict';

(function () {
  const TOKEN_KEY = 'pinwatch.token';
  const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };
  const EXPORT_FORMATS = ['json', 'android-nsc', 'okhttp', 'trustkit', 'ios-ats', 'approov'];

  const $ = (id) => document.getElementById(id);

  // el creates an element; attrs may hold className, dataset (an object), hidden, type and
  // other properties; children are nodes, or strings set as text (never parsed as HTML).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null) continue;
      if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key === 'text') node.textContent = String(value);
      else if (key in node) node[key] = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // show/dash: a value as text, with an em dash for null and empty.
  function dash(value) {
    if (value === undefined || value === null || value === '') return '—';
    if (Array.isArray(value)) return value.length ? value.join(', ') : '—';
    return String(value);
  }

  function facts(pairs) {
    const dl = el('dl', { className: 'facts' });
    for (const [name, value, mono] of pairs) {
      dl.append(el('dt', { text: name }), el('dd', { className: mono ? 'mono' : '' }, dash(value)));
    }
    return dl;
  }

  function table(headers, rows, numeric) {
    const head = el('tr', {}, headers.map((h) => el('th', { scope: 'col', text: h })));
    const body = rows.map((row) => {
      const tr = el('tr', row.attrs || {});
      row.cells.forEach((cell, i) => {
        tr.append(el('td', { className: numeric && numeric.includes(i) ? 'num' : '' },
          cell instanceof Node ? cell : dash(cell)));
      });
      return tr;
    });
    return el('div', { className: 'table-wrap' }, el('table', {}, el('thead', {}, head), el('tbody', {}, body)));
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return null;
    let s = Math.max(0, Math.round(Number(seconds)));
    const parts = [];
    for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]]) {
      if (s >= size) { parts.push(Math.floor(s / size) + ' ' + unit); s %= size; }
    }
    if (s || !parts.length) parts.push(s + ' s');
    return parts.slice(0, 2).join(' ');
  }

  // ApiError carries the API's {"error": {"code", "message"}} and the HTTP status.
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  // api sends one request with the token and returns the answer's JSON (or the Response
  // itself with raw = true); throws ApiError with the API's message on any error status.
  async function api(path, options) {
    const opts = options || {};
    const headers = { Authorization: 'Bearer ' + token() };
    let body;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    let res;
    try {
      res = await fetch(path, { method: opts.method || 'GET', headers, body, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      throw new ApiError(0, 'network', 'pinwatch did not answer: ' + e.message);
    }
    if (!res.ok) {
      let code = 'http_' + res.status;
      let message = 'HTTP ' + res.status;
      try {
        const answer = await res.json();
        if (answer && answer.error) {
          code = String(answer.error.code);
          message = String(answer.error.message);
        }
      } catch (e) { /* not the API's error shape: keep the status */ }
      if (res.status === 401) signOut('Your token was refused: ' + message);
      throw new ApiError(res.status, code, message);
    }
    return opts.raw ? res : res.json();
  }

  function notice(text) {
    const box = $('notice');
    box.textContent = text;
    box.hidden = !text;
  }

  function errorBox(err) {
    return el('p', { className: 'error', role: 'alert', text: err.message || String(err) });
  }

  // ---- findings -----------------------------------------------------------------------

  function renderFindings(findings) {
    const list = $('findings-list');
    findings.sort((a, b) => ((SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9)) || (b.id - a.id));
    $('findings-count').textContent = '(' + findings.length + ')';
    if (!findings.length) {
      list.replaceChildren(el('p', { className: 'empty', text: 'No open findings.' }));
      return;
    }
    list.replaceChildren(...findings.map((f) => {
      const card = el('article', { className: 'card finding ' + String(f.severity), dataset: { findingId: String(f.id) } },
        el('h3', {}, el('span', { className: 'badge ' + String(f.severity), text: f.severity }),
          '#' + f.id + ' ' + String(f.kind).replace(/_/g, ' ')),
        el('p', { text: f.reason }));
      const rows = [['Watched', f.watched], ['Names', f.names]];
      if (f.log) rows.push(['Log', f.log]);
      rows.push(['Key', f.spki_sha256, true], ['Issuer', f.issuer], ['Issuer key', f.issuer_spki_sha256, true],
        ['Valid', f.not_before ? dash(f.not_before) + ' → ' + dash(f.not_after) : null]);
      if (f.serial) rows.push(['Serial', f.serial, true]);
      card.append(facts(rows));
      if (f.entries && f.entries.length) {
        card.append(el('h4', { text: 'Log entries' }), table(['Log', 'Index', 'Type', 'Timestamp', 'Verified'],
          f.entries.map((e) => ({ cells: [e.log, e.index, e.entry_type, e.timestamp, e.verified ? 'yes' : 'not yet'] })), [1]));
      }
      card.append(findingActions(f));
      return card;
    }));
  }

  // findingActions: acknowledge (seen, being handled) or resolve a finding, with a note;
  // either ends its alert. Viewers get the API's 403 shown here.
  function findingActions(f) {
    const id = String(f.id);
    const noteId = 'note-' + id;
    const note = el('input', { id: noteId, type: 'text', className: 'note-input', name: 'note', maxLength: 4096,
      placeholder: 'A note (optional)' });
    const error = el('p', { className: 'error status-error', role: 'alert', hidden: true });
    const ack = el('button', { type: 'button', className: 'ack', text: 'Acknowledge' });
    const resolve = el('button', { type: 'button', className: 'resolve', text: 'Resolve' });
    const act = async (verb) => {
      ack.disabled = resolve.disabled = true;
      error.hidden = true;
      try {
        await api('/api/v1/findings/' + encodeURIComponent(id) + '/' + verb, { method: 'POST', json: { note: note.value } });
        notice('Finding #' + id + (verb === 'ack' ? ' acknowledged.' : ' resolved.'));
        await loadAll();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        ack.disabled = resolve.disabled = false;
      }
    };
    ack.addEventListener('click', () => act('ack'));
    resolve.addEventListener('click', () => act('resolve'));
    return el('div', { className: 'decide' },
      el('div', { className: 'reason' }, el('label', { htmlFor: noteId, text: 'Note' }), note),
      el('div', { className: 'buttons' }, ack, resolve), error);
  }

  // ---- proposals ----------------------------------------------------------------------

  function renderChecks(checks) {
    return el('ul', { className: 'checks' }, (checks || []).map((c) =>
      el('li', { className: c.ok ? 'check ok' : 'check failed', dataset: { check: String(c.name), ok: String(!!c.ok) } },
        el('span', { className: 'badge ' + (c.ok ? 'ok' : 'failed'), text: c.ok ? 'ok' : 'failed' }),
        el('span', { className: 'mono', text: c.name }),
        c.detail ? el('span', { className: 'detail', text: c.detail }) : null)));
  }

  function renderEvidence(evidence) {
    return (evidence || []).map((ev) => el('div', { className: 'evidence' },
      facts([['Names', ev.names], ['Subject', ev.subject], ['Issuer', ev.issuer], ['Serial', ev.serial, true],
        ['Valid', dash(ev.not_before) + ' → ' + dash(ev.not_after)], ['Key', ev.spki_sha256, true],
        ['Issuer key', ev.issuer_spki_sha256, true]]),
      (ev.entries && ev.entries.length)
        ? table(['Log', 'Index', 'Type', 'Timestamp', 'Verified'],
          ev.entries.map((e) => ({ cells: [e.log, e.index, e.entry_type, e.timestamp, e.verified ? 'yes' : 'not yet'] })), [1])
        : null));
  }

  function renderProposals(proposals) {
    const list = $('proposals-list');
    $('proposals-count').textContent = '(' + proposals.length + ')';
    if (!proposals.length) {
      list.replaceChildren(el('p', { className: 'empty', text: 'No pending proposals.' }));
      return;
    }
    list.replaceChildren(...proposals.map((p) => {
      const id = String(p.id);
      const reasonId = 'reason-' + id;
      const reason = el('textarea', { id: reasonId, className: 'reason-input', name: 'reason', maxLength: 4096,
        placeholder: 'Why you approve or reject this change' });
      const error = el('p', { className: 'error decide-error', role: 'alert', hidden: true });
      const approve = el('button', { type: 'button', className: 'approve', text: 'Approve' });
      const reject = el('button', { type: 'button', className: 'reject', text: 'Reject' });
      const decide = async (verb) => {
        approve.disabled = reject.disabled = true;
        error.hidden = true;
        try {
          await api('/api/v1/proposals/' + encodeURIComponent(id) + '/' + verb, { method: 'POST', json: { reason: reason.value } });
          notice('Proposal #' + id + (verb === 'approve' ? ' approved.' : ' rejected.'));
          await loadAll();
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
          approve.disabled = reject.disabled = false;
        }
      };
      approve.addEventListener('click', () => decide('approve'));
      reject.addEventListener('click', () => decide('reject'));

      const checksPass = !!p.checks_pass;
      // Pin-failure reports showed apps failing for want of this pin: an outage now.
      const urgent = p.urgent
        ? el('p', { className: 'urgent', text: 'Urgent: pinned apps are failing without this pin since ' + p.urgent_at +
            ' (pin-failure reports ' + (p.pin_reports || []).map((r) => '#' + r).join(', ') + ').' })
        : null;
      return el('article', { className: 'card proposal' + (p.urgent ? ' critical' : ''), dataset: { proposalId: id, pinset: String(p.pinset) } },
        el('h3', {}, el('span', { className: 'badge ' + (checksPass ? 'ok' : 'failed'), text: checksPass ? 'checks pass' : 'checks fail' }),
          p.urgent ? el('span', { className: 'badge critical', text: 'urgent' }) : '',
          '#' + id + ' ' + p.action + ' to pin-set ' + p.pinset),
        urgent,
        el('p', { text: p.reason }),
        facts([['Pin', p.pin, true], ['Role', p.role], ['Approvals', p.approvals + ' of ' + p.approvals_required],
          ['Lead time', p.lead_time_s === null || p.lead_time_s === undefined
            ? 'not known yet (needs a precertificate and a certificate with the key)'
            : duration(p.lead_time_s) + ' before the first certificate'],
          ['Proposed', p.created_at]]),
        el('h4', { text: 'Safety checks' }), renderChecks(p.checks),
        el('h4', { text: 'Evidence' }), renderEvidence(p.evidence),
        el('div', { className: 'decide' },
          el('div', { className: 'reason' }, el('label', { htmlFor: reasonId, text: 'Reason' }), reason),
          el('div', { className: 'buttons' }, approve, reject)),
        error);
    }));
  }

  // ---- pin-sets -----------------------------------------------------------------------

  // download fetches an export with the token and saves it through a Blob URL: a plain link
  // could not carry the Authorization header.
  async function download(name, format, button, error) {
    button.disabled = true;
    error.hidden = true;
    try {
      const res = await api('/api/v1/pinsets/' + encodeURIComponent(name) + '/export?format=' + encodeURIComponent(format), { raw: true });
      const disposition = res.headers.get('Content-Disposition') || '';
      const match = /filename="([^"]+)"/.exec(disposition);
      const filename = match ? match[1] : name + '-' + format;
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', { href: url, download: filename, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function renderPinsets(pinsets) {
    const list = $('pinsets-list');
    if (!pinsets.length) {
      list.replaceChildren(el('p', { className: 'empty', text: 'No pin-sets configured.' }));
      return;
    }
    list.replaceChildren(...pinsets.map((ps) => {
      const name = String(ps.name);
      const versions = (ps.versions || []).slice().reverse();  // newest first
      const error = el('p', { className: 'error', role: 'alert', hidden: true });
      const buttons = EXPORT_FORMATS.map((format) => {
        const b = el('button', { type: 'button', className: 'download', text: format, dataset: { format } });
        b.addEventListener('click', () => download(name, format, b, error));
        return b;
      });
      return el('article', { className: 'card pinset', dataset: { pinset: name } },
        el('h3', {}, name + ' ', el('span', { className: 'muted', text: 'version ' + dash(ps.current_version) })),
        el('h4', { text: 'History (newest first)' }),
        el('ol', { className: 'versions' }, versions.map((v) => {
          const current = v.version === ps.current_version;
          return el('li', { className: 'version' + (current ? ' current' : ''), dataset: { version: String(v.version) } },
            el('div', { className: 'version-head' },
              el('strong', { text: 'Version ' + v.version }),
              current ? el('span', { className: 'badge ok', text: 'in force' }) : null,
              el('span', { className: 'muted', text: v.proposal_id ? 'from proposal #' + v.proposal_id : 'from ' + dash(v.origin) })),
            facts([['Created', v.created_at], ['Published', v.published_at ?? 'not yet']]),
            el('ul', { className: 'pins mono' }, (v.pins || []).map((pin) => el('li', { text: pin }))));
        })),
        el('div', { className: 'downloads' }, el('span', { className: 'muted', text: 'Download the version in force:' }), buttons),
        error);
    }));
  }

  // ---- logs ---------------------------------------------------------------------------

  function renderLogs(logs) {
    const list = $('logs-list');
    if (!logs.length) {
      list.replaceChildren(el('p', { className: 'empty', text: 'No logs known yet.' }));
      return;
    }
    list.replaceChildren(...logs.map((l) => el('article', { className: 'card log', dataset: { log: String(l.log) } },
      el('h3', {}, l.last_error ? el('span', { className: 'badge failed', text: 'error' }) : null,
        l.followed === false ? el('span', { className: 'badge', text: 'not followed' }) : null, String(l.log)),
      facts([['URL', l.url, true], ['Position', l.position], ['Verified tree size', l.verified_tree_size],
        ['Latest tree size', l.latest_tree_size], ['Lag', l.lag === null || l.lag === undefined ? null : l.lag + ' entries'],
        ['Lease', l.lease_holder ? l.lease_holder + ' until ' + dash(l.lease_expires_at) : null],
        ['Last error', l.last_error ? dash(l.last_error_at) + ': ' + l.last_error : 'none']]))));
  }

  // ---- the page -----------------------------------------------------------------------

  const sections = [
    ['findings-list', '/api/v1/findings?status=open', renderFindings],
    ['proposals-list', '/api/v1/proposals?status=pending', renderProposals],
    ['pinsets-list', '/api/v1/pinsets', renderPinsets],
    ['logs-list', '/api/v1/logs', renderLogs],
  ];

  // loadAll reloads every list; a list that fails shows its error in its own place.
  async function loadAll() {
    await Promise.all(sections.map(async ([id, path, render]) => {
      try {
        render(await api(path));
      } catch (err) {
        if (token()) $(id).replaceChildren(errorBox(err));
      }
    }));
  }

  function showSignedIn(signedIn) {
    $('sign-in').hidden = signedIn;
    $('dashboard').hidden = !signedIn;
    $('nav').hidden = !signedIn;
    $('session').hidden = !signedIn;
  }

  function signOut(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const [id] of sections) $(id).replaceChildren();
    for (const id of ['findings-count', 'proposals-count']) $(id).textContent = '';
    notice('');
    showSignedIn(false);
    const err = $('sign-in-error');
    err.textContent = why || '';
    err.hidden = !why;
    $('token').focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const value = $('token').value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $('token').value = '';
    $('sign-in-error').hidden = true;
    showSignedIn(true);
    await loadAll();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', () => signOut(''));
    $('refresh').addEventListener('click', () => { notice(''); loadAll(); });
    if (token()) {
      showSignedIn(true);
      loadAll();
    } else {
      showSignedIn(false);
    }
  });
})();
