/* Chart helpers shared by the report and the dashboard (plain browser JS over uPlot; no network). */
(() => {
  const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#0ea5e9', '#64748b', '#db2777'];

  /** Several {t, v} series (t in ms) on one x axis in seconds: the union of their times, null where a series has no point. */
  function align(list) {
    const times = new Set();
    for (const s of list) for (const t of s.t) times.add(t);
    const xs = [...times].sort((a, b) => a - b);
    const index = new Map(xs.map((t, i) => [t, i]));
    const out = [xs.map((t) => t / 1000)];
    for (const s of list) {
      const col = new Array(xs.length).fill(null);
      for (let i = 0; i < s.t.length; i++) col[index.get(s.t[i])] = s.v[i];
      out.push(col);
    }
    return out;
  }

  /** Axis numbers with as many decimals as the tick step needs (101,250.5), in k or M when the step is that coarse. */
  function compact(v, incr) {
    if (v == null) return '';
    const step = Math.abs(incr || 0) || Math.abs(v) || 1;
    if (step >= 1e6) return (v / 1e6).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1e6)))) + 'M';
    if (step >= 1e3) return (v / 1e3).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1e3)))) + 'k';
    const d = Math.min(8, Math.max(0, -Math.floor(Math.log10(step))));
    return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  }

  function widthOf(el) {
    return Math.max(240, Math.floor(el.getBoundingClientRect().width || el.clientWidth || 600));
  }

  /**
   * A uPlot chart in `el`. series: [{label, color?, points?: true (marks only), dash?, fill?}].
   * data: uPlot's columns ([x, ...ys]). opts: {height, time (x is seconds of time), logX, yFormat, yRange: 'tight'}.
   */
  function chart(el, series, data, opts) {
    opts = opts || {};
    const s = [{}].concat(
      series.map((d, i) => {
        const color = d.color || COLORS[i % COLORS.length];
        const base = {
          label: d.label,
          stroke: color,
          width: d.points ? 0 : 1.5,
          spanGaps: !d.points,
          value: opts.yFormat ? (_u, v) => (v == null ? '–' : opts.yFormat(v)) : undefined,
        };
        if (d.fill) base.fill = d.fill;
        if (d.dash) base.dash = d.dash;
        // A marks-only series draws no path: its fill only colours its legend marker like its points.
        if (d.points) {
          base.points = { show: true, size: 8, width: 1.5, stroke: color, fill: d.pointFill || color, space: 0 };
          base.fill = d.pointFill || color;
        } else base.points = { show: false };
        if (d.points) base.paths = () => null;
        return base;
      }),
    );
    const u = new uPlot(
      {
        width: widthOf(el),
        height: opts.height || 240,
        series: s,
        scales: {
          x: opts.logX ? { time: false, distr: 3 } : { time: opts.time !== false },
          // 'tight': around the data, never from 0 (a flat equity of 100,000 is not drawn on a 0-200k axis).
          ...(opts.yRange === 'tight'
            ? {
                y: {
                  range: (_u, min, max) => {
                    if (min == null || max == null) return [0, 1];
                    const pad = Math.max((max - min) * 0.08, Math.abs(max) * 0.0005, 0.01);
                    return [min - pad, max + pad];
                  },
                },
              }
            : {}),
        },
        axes: [
          { stroke: '#64748b', grid: { stroke: '#e2e8f0' } },
          {
            stroke: '#64748b',
            grid: { stroke: '#e2e8f0' },
            size: (_u, vals) => 14 + 7 * Math.max(4, ...(vals || []).map((v) => String(v).length)),
            values: (_u, vals, _axis, _space, incr) => vals.map((v) => (opts.axisFormat || compact)(v, incr)),
          },
        ],
        legend: { show: true },
        // Bar times are UTC everywhere in tradeloop: the axes say so too, whatever the browser's zone.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
        cursor: { drag: { x: true, y: false } },
      },
      data,
      el,
    );
    el.dataset.series = String(series.length);
    charts.push({ el, u });
    return u;
  }

  const charts = [];
  let pending = null;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      for (const c of charts) c.u.setSize({ width: widthOf(c.el), height: c.u.height });
    }, 100);
  });

  function fmtTime(ms) {
    if (ms == null || !Number.isFinite(ms)) return '';
    return new Date(ms).toISOString().replace('.000Z', 'Z').replace('T', ' ');
  }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children || []) e.append(c);
    return e;
  }

  /** A table from a header and rows of text (textContent only: nothing in the data is HTML). */
  function table(header, rows, attrs) {
    const head = el('thead', {}, [
      el(
        'tr',
        {},
        header.map((h) => el('th', { text: h })),
      ),
    ]);
    const body = el('tbody');
    for (const r of rows)
      body.append(
        el(
          'tr',
          {},
          r.map((c) => el('td', { text: c == null ? '' : String(c) })),
        ),
      );
    return el('table', attrs || {}, [head, body]);
  }

  window.tl = { align, chart, charts, fmtTime, el, table, COLORS };
})();
