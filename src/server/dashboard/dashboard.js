/* The live dashboard: a Server-Sent Events stream from this session; buttons send POST /control/* with the token. */
(() => {
  const { chart, fmtTime, el } = window.tl;
  // The token travels in the fragment only (never sent to a server, never logged); it is kept in memory and taken off the address bar.
  let token = null;
  function takeToken() {
    const hash = new URLSearchParams(location.hash.slice(1));
    const given = hash.get('token');
    const code = hash.get('code');
    if (given) token = given;
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    // `tradeloop dashboard --open` hands the browser a one-time code (a command line is public): trade it for a token.
    if (code) {
      fetch('/dashboard/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
        .then(async (res) => {
          const body = await res.json().catch(() => ({}));
          if (res.status === 200 && typeof body.token === 'string') token = body.token;
          else $('control-msg').textContent = body.error || 'this dashboard link was used already or has expired';
          if (status) renderStatus(status, null);
        })
        .catch(() => {
          $('control-msg').textContent = 'the session did not answer the dashboard link';
        });
    }
  }
  takeToken();
  // Pasting the URL again with another token into this tab changes only the fragment: no reload.
  window.addEventListener('hashchange', () => {
    takeToken();
    if (status) renderStatus(status, null);
    $('control-msg').textContent = '';
  });
  const $ = (id) => document.getElementById(id);
  // Money for people: two decimals, thousands separated (the exact figures are in GET /status).
  const money = (v) => (v == null || v === '' ? '' : Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  // Columns of free text wrap instead of being clipped: the last column of these tables.
  const WRAP_LAST = new Set(['halts', 'rejects', 'alerts']);
  const LIMIT = 50;
  let status = null;
  let lastFeedState = null;
  const curve = { t: [], v: [] };
  let _peak = 0;
  let equityChart = null;
  let drawdownChart = null;

  function rows(id, list) {
    const body = $(id).tBodies[0];
    const wrap = WRAP_LAST.has(id);
    body.replaceChildren(
      ...list.map((r) =>
        el(
          'tr',
          {},
          r.map((c, i) => el('td', { text: c == null ? '' : String(c), ...(wrap && i === r.length - 1 ? { class: 'detail' } : {}) })),
        ),
      ),
    );
  }
  function prepend(id, row) {
    const body = $(id).tBodies[0];
    const wrap = WRAP_LAST.has(id);
    body.prepend(
      el(
        'tr',
        {},
        row.map((c, i) => el('td', { text: c == null ? '' : String(c), ...(wrap && i === row.length - 1 ? { class: 'detail' } : {}) })),
      ),
    );
    while (body.rows.length > LIMIT) body.deleteRow(body.rows.length - 1);
  }
  function badge(id, text) {
    const b = $(id);
    b.textContent = text;
    b.className = 'badge ' + text;
  }

  function renderStatus(s, feedState) {
    status = s;
    if (feedState) lastFeedState = feedState;
    feedState = lastFeedState;
    if (!s) return;
    badge('state', s.state);
    badge('feed-state', s.feed?.state || feedState || (s.mode === 'static' ? 'static' : 'connecting'));
    $('run').textContent = `${s.runId} · ${s.mode} · pid ${s.pid}`;
    rows(
      'halts',
      s.halts.map((h) => [h.reason, h.source, h.severity, h.since || '', h.detail, h.lifted]),
    );
    rows(
      'positions',
      s.positions.map((p) => [p.symbol, p.qty, p.entryPrice, p.lastPrice, money(p.marketValue), money(p.unrealizedPnl)]),
    );
    rows(
      'orders',
      s.restingOrders.map((o) => [o.orderId, o.symbol, o.side, o.qty, o.limitPrice]),
    );
    $('equity-line').textContent =
      `equity ${money(s.equity)} · cash ${money(s.cash)} · gross exposure ${money(s.grossExposure)} · start ${money(s.startEquity)}`;
    const conns = s.feed?.connections || [];
    rows(
      'feed',
      conns.length > 0
        ? conns.map((c) => [c.id, c.stale ? 'stale' : c.state, c.lastMessageAgoSeconds == null ? '' : `${c.lastMessageAgoSeconds} s ago`])
        : [['all', feedState || (s.mode === 'static' ? 'static' : 'connecting'), '']],
    );
    rows(
      'last-bars',
      Object.entries(s.lastBar).map(([sym, b]) => [sym, b ? b.openTime : 'none yet', b && b.receivedSecondsAgo != null ? `${b.receivedSecondsAgo} s ago` : '']),
    );
    for (const b of ['btn-halt', 'btn-reduce', 'btn-resume', 'btn-flatten']) $(b).disabled = !token;
    if (!token) $('control-msg').textContent = 'read-only: open the URL that `tradeloop dashboard --state DIR` prints to use the buttons';
  }

  function renderLatency(l) {
    rows('latency', l ? Object.entries(l).map(([k, v]) => [k, v.p50.toFixed(3), v.p99.toFixed(3), v.count]) : [['–', '', '', 0]]);
  }

  function drawCurve() {
    const x = curve.t.map((t) => t / 1000);
    let pk = 0;
    const dd = curve.v.map((v) => {
      pk = Math.max(pk, v);
      return pk > 0 ? (-100 * (pk - v)) / pk : 0;
    });
    if (!equityChart) {
      equityChart = chart($('chart-equity'), [{ label: 'equity' }], [x, curve.v], { height: 200, yRange: 'tight', yFormat: money });
      drawdownChart = chart($('chart-drawdown'), [{ label: 'drawdown %', color: '#ef4444', fill: 'rgba(239,68,68,0.15)' }], [x, dd], { height: 120 });
    } else {
      equityChart.setData([x, curve.v]);
      drawdownChart.setData([x, dd]);
    }
  }

  function item(it) {
    const e = it.event;
    const when = fmtTime(it.time);
    // An operator's flatten fills with a price source (the newest price seen): marked as such.
    if (it.type === 'fill') prepend('fills', [when, e.symbol, e.side, e.qty, e.price, money(e.fee), e.priceSource ? 'flatten' : 'strategy']);
    else if (it.type === 'reject') prepend('rejects', [when, 'reject', e.symbol, e.reason, e.detail]);
    else if (it.type === 'cancel') prepend('rejects', [when, 'cancel', e.symbol, e.reason, e.detail]);
    else if (it.type === 'alert') prepend('alerts', [when, `alert ${e.kind}`, e.message]);
    else if (it.type === 'halt') prepend('alerts', [when, `halt ${e.reason}`, `${e.source}, ${e.severity}: ${e.detail} → ${e.state}`]);
    else if (it.type === 'resume') prepend('alerts', [when, `resume ${e.reason}`, `lifted by ${e.source} → ${e.state}`]);
    else if (it.type === 'feed') {
      lastFeedState = e.state;
      badge('feed-state', e.state);
      prepend('alerts', [when, `feed ${e.state}`, e.detail || '']);
    } else if (it.type === 'trading_state') badge('state', e.to);
  }

  function connect() {
    const es = new EventSource('/events');
    es.addEventListener('snapshot', (m) => {
      const d = JSON.parse(m.data);
      $('conn').textContent = 'live';
      curve.t = d.curve.t.slice();
      curve.v = d.curve.v.slice();
      _peak = d.peak;
      for (const id of ['fills', 'rejects', 'alerts']) rows(id, []);
      const all = [].concat(...Object.values(d.recent)).sort((a, b) => a.seq - b.seq);
      for (const it of all) item(it);
      renderStatus(d.status, d.feedState);
      renderLatency(d.latency);
      drawCurve();
      document.body.dataset.ready = '1';
    });
    es.addEventListener('status', (m) => {
      const d = JSON.parse(m.data);
      if (d.points.reset) {
        curve.t = [];
        curve.v = [];
      }
      curve.t.push(...d.points.t);
      curve.v.push(...d.points.v);
      _peak = d.peak;
      renderStatus(d.status, d.feedState);
      renderLatency(d.latency);
      drawCurve();
      document.body.dataset.ticks = String(Number(document.body.dataset.ticks || 0) + 1);
    });
    es.addEventListener('item', (m) => item(JSON.parse(m.data)));
    es.onerror = () => {
      $('conn').textContent = 'reconnecting…';
    };
  }

  let flattenArmed = 0;
  async function control(action, body, label) {
    const msg = $('control-msg');
    msg.className = 'msg';
    msg.textContent = `${label}…`;
    msg.dataset.status = 'sent';
    try {
      const res = await fetch(`/control/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const r = await res.json().catch(() => ({}));
      if (res.status === 401) {
        msg.className = 'msg error';
        msg.textContent = 'refused (401): the token is wrong or from an earlier session; run tradeloop dashboard --state DIR again';
        return;
      }
      msg.className = r.ok ? 'msg' : 'msg error';
      msg.textContent = `${label}: ${r.message || r.error || res.status}`;
    } catch (err) {
      msg.className = 'msg error';
      msg.textContent = `${label}: ${err.message}`;
    } finally {
      msg.dataset.status = 'done';
    }
  }
  $('btn-halt').addEventListener('click', () => control('halt', { reason: 'halted from the dashboard' }, 'halt'));
  $('btn-reduce').addEventListener('click', () => control('halt', { reason: 'reduce-only from the dashboard', reducing: true }, 'reduce-only'));
  $('btn-resume').addEventListener('click', () => control('resume', {}, 'resume'));
  // Flatten sends market orders: a second click within 5 s confirms it (no modal dialog to get in the way).
  $('btn-flatten').addEventListener('click', () => {
    const now = Date.now();
    if (now - flattenArmed > 5000) {
      flattenArmed = now;
      $('btn-flatten').textContent = 'Confirm flatten';
      setTimeout(() => {
        $('btn-flatten').textContent = 'Flatten';
      }, 5000);
      return;
    }
    flattenArmed = 0;
    $('btn-flatten').textContent = 'Flatten';
    control('flatten', {}, 'flatten');
  });
  connect();
})();
