/* The run report: reads the data embedded in the page and draws it (no network). */
(() => {
  const { align, chart, fmtTime, el, table } = window.tl;
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const app = document.getElementById('app');
  const s = data.summary || {};
  const st = s.stats || null;
  const n = (v, d = 2, suffix = '') => (v == null ? 'n/a' : Number(v).toFixed(d) + suffix);
  const money = (v) => (v == null ? 'n/a' : Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));

  function section(title, id, children) {
    app.append(el('section', { id }, [el('h2', { text: title })].concat(children)));
  }

  // Summary
  const rows = [
    ['status', s.status || 'unknown'],
    ['bars', s.bars],
    ['decisions', s.decisions],
    ['orders', s.orders],
    ['fills', s.fills],
    ['rejects', s.rejects],
    ['skips', s.skips],
    ['start equity', money(s.startEquity)],
    ['final equity', money(s.finalEquity)],
    ['return', n(s.returnPct, 4, ' %')],
    ['max drawdown', n(s.maxDrawdownPct, 4, ' %')],
    ['sharpe', n(s.sharpe)],
    ['fees', money(s.fees)],
  ];
  // What the fills cost against the closes that decided them (summaries from before it have none).
  if (st?.slippage)
    rows.push([
      'slippage',
      `${money(st.slippage.cost)} against decision closes` +
        (st.slippage.bps == null ? ' (no fill)' : ` (${n(st.slippage.bps)} bps of ${money(st.slippage.tradedNotional)} traded)`) +
        (s.fillModel ? `, fill model ${s.fillModel}` : ''),
    ]);
  if (st) {
    rows.push(
      ['CAGR', n(st.cagrPct, 2, ' %')],
      ['sortino', n(st.sortino)],
      ['calmar', n(st.calmar)],
      ['exposure', n(st.exposurePct, 2, ' %')],
      ['buy and hold return', n(st.benchmark.returnPct, 4, ' %')],
      ['buy and hold max drawdown', n(st.benchmark.maxDrawdownPct, 4, ' %')],
      ['span', `${st.span.from || ''} → ${st.span.to || ''} (${st.span.days} days, ${st.span.returns} returns)`],
      ['data gaps', st.gaps.count === 0 ? 'none' : `${st.gaps.count} (largest ${st.gaps.largestDays} days from ${st.gaps.largestFrom})`],
    );
    for (const [k, why] of Object.entries(st.notComputed || {})) rows.push([`${k} not computed`, why]);
  }
  if (s.error) rows.push(['error', s.error]);
  section('Summary', 'summary', [table(['figure', 'value'], rows, { class: 'kv', id: 'summary-table' })]);

  // Statistics per symbol and overall
  if (st) {
    const head = [
      '',
      'round trips',
      'open',
      'win rate',
      'profit factor',
      'avg win',
      'avg loss',
      'largest loss',
      'net PnL',
      'fees',
      'slippage',
      'exposure',
      'buy & hold',
    ];
    const line = (name, t, exposure, bh, open, slip) => [
      name,
      t.roundTrips,
      open,
      n(t.winRatePct, 2, ' %'),
      n(t.profitFactor),
      money(t.avgWin),
      money(t.avgLoss),
      money(t.largestLoss),
      money(t.netPnl),
      money(t.fees),
      slip ? money(slip.cost) : 'n/a',
      n(exposure, 2, ' %'),
      n(bh, 4, ' %'),
    ];
    const body = [line('all', st.trips, st.exposurePct, st.benchmark.returnPct, st.trips.openTrips, st.slippage)];
    for (const [sym, t] of Object.entries(st.bySymbol)) body.push(line(sym, t, t.exposurePct, t.buyHoldReturnPct, t.openTrips, t.slippage));
    section('Statistics', 'statistics', [table(head, body, { id: 'stats-table' })]);
  }

  // Equity against buy and hold, and drawdown
  const eq = data.equity;
  if (eq.rows > 0) {
    const a = el('div', { class: 'chart', id: 'chart-equity' });
    const b = el('div', { class: 'chart', id: 'chart-drawdown' });
    section('Equity', 'equity', [
      el('p', {
        class: 'note',
        text: `${eq.rows.toLocaleString()} slices, drawn from ${eq.equity.t.length.toLocaleString()} points (first, lowest, highest and last of each pixel bucket).`,
      }),
      a,
      b,
    ]);
    chart(a, [{ label: 'equity' }, { label: 'buy and hold', color: '#f59e0b', dash: [6, 4] }], align([eq.equity, eq.benchmark]), { yFormat: (v) => money(v) });
    chart(b, [{ label: 'drawdown %', color: '#ef4444', fill: 'rgba(239,68,68,0.15)' }], align([eq.drawdown]), { height: 160, yFormat: (v) => v.toFixed(2) });
  }

  // Prices with every fill marked: a colour per order type (an operator's flatten its own), filled for a buy, hollow for a sell.
  const KIND_COLORS = {
    market: '#16a34a',
    limit: '#9333ea',
    stop: '#dc2626',
    stop_limit: '#ca8a04',
    trailing_stop: '#db2777',
    flatten: '#0f172a',
    unknown: '#0891b2',
  };
  const priceCharts = [];
  for (const sym of data.symbols) {
    const p = data.prices[sym];
    if (!p) continue;
    const m = data.marks[sym] || { series: [], total: 0, drawn: 0 };
    const box = el('div', { class: 'chart price', id: `chart-price-${sym}`, 'data-symbol': sym });
    priceCharts.push([box, sym, p, m]);
  }
  if (priceCharts.length > 0) {
    // Say what is drawn: every close or M4 points, and how many of the fills' marks.
    const note = (p, m) => {
      const line =
        p.detail === 'full'
          ? 'every close drawn (zoom in for full detail)'
          : `drawn from ${p.t.length.toLocaleString()} points (first, lowest, highest and last of each pixel bucket: zoomed in, the line is coarse and marks may sit off it)`;
      const marks =
        m.total > m.drawn
          ? `marks: ${m.drawn.toLocaleString()} of ${m.total.toLocaleString()} fills, evenly chosen`
          : `marks: all ${m.total.toLocaleString()} fills`;
      return `${line}; ${marks} (colour: order type; filled: buy, hollow: sell)`;
    };
    section(
      'Prices and fills by order type',
      'prices',
      priceCharts.map(([box, sym, p, m]) =>
        el('div', {}, [el('h3', { text: `${sym} (${p.count.toLocaleString()} bars)` }), el('p', { class: 'note', 'data-marks': sym, text: note(p, m) }), box]),
      ),
    );
    for (const [box, , p, m] of priceCharts) {
      const marks = m.series.map((x) => {
        const color = KIND_COLORS[x.kind] || KIND_COLORS.unknown;
        return { label: `${x.kind} ${x.side}`, color, points: true, pointFill: x.side === 'sell' ? '#fff' : color };
      });
      chart(box, [{ label: 'close' }].concat(marks), align([p].concat(m.series)), { height: 220 });
    }
  }

  // Trades
  const tr = data.trades;
  const tradeNote =
    tr.total > tr.rows.length
      ? `The first ${tr.rows.length.toLocaleString()} of ${tr.total.toLocaleString()} round trips; trades.csv has them all.`
      : `${tr.total.toLocaleString()} round trips (open ones last, valued at the last close).`;
  // trades.csv's columns grouped for reading: the entry (time, order type, price), the exit (time,
  // order type, who sent it, price), then the money: pnl, fees and the slippage against decision closes.
  const SHOWN = ['symbol', 'side', 'qty', 'entryTime', 'entryOrderType', 'entryPrice', 'exitTime', 'exitOrderType', 'exitBy', 'exitPrice'];
  const columns = SHOWN.concat(['pnl', 'fees', 'slippage', 'barsHeld', 'status']).filter((h) => tr.header.includes(h));
  for (const h of tr.header) if (!columns.includes(h)) columns.push(h);
  const at = columns.map((h) => tr.header.indexOf(h));
  const shownRow = (r) => at.map((i) => r[i]);
  // A long list is drawn a thousand rows at a time: the page opens at once however many trips there are.
  const FIRST_ROWS = 1000;
  const tradeTable = table(columns, tr.rows.slice(0, FIRST_ROWS).map(shownRow), { id: 'trades-table' });
  const more = el('button', { id: 'trades-more', text: `show ${Math.min(FIRST_ROWS, tr.rows.length - FIRST_ROWS).toLocaleString()} more` });
  let shown = Math.min(FIRST_ROWS, tr.rows.length);
  more.addEventListener('click', () => {
    const body = tradeTable.tBodies[0];
    for (const r of tr.rows.slice(shown, shown + FIRST_ROWS))
      body.append(
        el(
          'tr',
          {},
          shownRow(r).map((c) => el('td', { text: c == null ? '' : c })),
        ),
      );
    shown = Math.min(tr.rows.length, shown + FIRST_ROWS);
    if (shown >= tr.rows.length) more.remove();
    else more.textContent = `show ${Math.min(FIRST_ROWS, tr.rows.length - shown).toLocaleString()} more`;
  });
  section(
    'Trades',
    'trades',
    [el('p', { class: 'note', text: tradeNote }), el('div', { class: 'scroll' }, [tradeTable])].concat(tr.rows.length > FIRST_ROWS ? [more] : []),
  );

  // Latency
  if (data.latency) {
    const L = data.latency;
    const box = el('div', { class: 'chart', id: 'chart-latency' });
    section('Latency distribution', 'latency', [
      el('p', { class: 'note', text: `${L.total.toLocaleString()} live bars; share of bars per latency bucket (ms, log scale).` }),
      box,
    ]);
    const xs = L.edgesMs.concat([L.edgesMs[L.edgesMs.length - 1] * 10]);
    const series = Object.keys(L.counts).map((k) => ({ label: k }));
    const cols = [xs].concat(Object.values(L.counts).map((c) => c.map((v) => (L.total > 0 ? (100 * v) / L.total : 0))));
    chart(box, series, cols, { logX: true, time: false, height: 240, yFormat: (v) => v.toFixed(1) + '%', axisFormat: (v) => (v == null ? '' : String(v)) });
  }

  // Halts, skips, cancels, rejects, alerts
  const inc = data.incidents;
  const incRows = inc.map((g) => [g.type, g.reason, g.count, fmtTime(g.first), fmtTime(g.last)]);
  const details = inc.map((g) =>
    el('details', {}, [
      el('summary', { text: `${g.type} ${g.reason}: ${g.count} (${g.samples.length} shown)` }),
      table(
        ['time', 'symbol', 'detail'],
        g.samples.map((x) => [fmtTime(x.time), x.symbol || '', x.detail]),
      ),
    ]),
  );
  section(
    'Halts, skips, cancels, rejects and alerts',
    'incidents',
    inc.length === 0 ? [el('p', { text: 'None.' })] : [table(['type', 'reason', 'count', 'first', 'last'], incRows, { id: 'incidents-table' })].concat(details),
  );

  document.body.dataset.ready = '1';
  document.body.dataset.readyMs = String(Math.round(performance.now()));
})();
