import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EquityCurve, type EquitySample } from '../../src/stats/equity-curve.ts';
import { BarStats, holdsWeekday } from '../../src/stats/bar-stats.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday

/** An account whose equity follows the given multipliers, one a slice of `intervalMs`. */
function curveOf(steps: readonly number[], intervalMs: number, start = 1_000_000): { curve: EquityCurve; samples: EquitySample[] } {
  let equity = start;
  const source = { equity: () => BigInt(Math.round(equity * 1e8)), cash: 0n, grossExcept: () => 0n };
  const curve = new EquityCurve(source);
  curve.intervalMs = intervalMs;
  const samples: EquitySample[] = [];
  curve.listener = (s) => samples.push(s);
  steps.forEach((m, i) => {
    equity *= m;
    curve.sample(T0 + i * intervalMs);
  });
  return { curve, samples };
}

test('Sharpe, Sortino, CAGR and Calmar by hand on 32 daily returns of +2 %, −1 %, …', () => {
  const { curve } = curveOf(
    Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 1.02 : 0.99)),
    DAY,
  );
  // Returns: 16 × 0.02 and 16 × −0.01; mean 0.005; deviations ±0.015, Σd² = 32 × 0.000225 = 0.0072;
  // sample sd = √(0.0072 / 31) = 0.0152400152. Span 32 days: 32 / (32 / 365.25) = 365.25 returns a year.
  assert.equal(curve.returnsPerYear, 365.25);
  // Sharpe = 0.005 / 0.0152400152 × √365.25 = 0.3280837 × 19.1115 = 6.2702
  assert.equal(curve.sharpe, 6.2702);
  // Downside deviation = √(16 × 0.0001 / 32) = 0.0070711; Sortino = 0.005 / 0.0070711 × 19.1115 = 13.5139
  assert.equal(curve.sortinoFigure.value, 13.5139);
  // Growth (1.02 × 0.99)^16 = 1.16887; CAGR = 1.16887^(365.25 / 32) − 1 = 4.935862 → 493.5862 %
  assert.equal(curve.cagrFigure.value, 493.5862);
  // Every −1 % day follows a new peak: max drawdown 1 %; Calmar = 4.935862 / 0.01 = 493.5862
  assert.equal(curve.maxDrawdownPct, 1);
  assert.equal(curve.calmarFigure.value, 493.5862);
});

test('fewer than 30 returns, or less than a day of bars: not computed, with the reason', () => {
  const few = curveOf(
    Array.from({ length: 29 }, (_, i) => (i % 2 ? 1.01 : 0.995)),
    DAY,
  ).curve;
  assert.equal(few.sharpe, null);
  assert.match(few.sharpeFigure.reason!, /30/);
  assert.equal(few.sortinoFigure.value, null);
  const short = curveOf(
    Array.from({ length: 600 }, (_, i) => (i % 2 ? 1.01 : 0.995)),
    60_000,
  ).curve; // 10 h of minutes
  assert.equal(short.sharpe, null);
  assert.match(short.sharpeFigure.reason!, /day/);
  assert.equal(short.cagrFigure.value, null);
  assert.equal(short.calmarFigure.value, null);
  const up = curveOf(
    Array.from({ length: 40 }, () => 1.001),
    DAY,
  ).curve;
  assert.equal(up.sortinoFigure.value, null, 'no negative return: no downside deviation');
  assert.equal(up.calmarFigure.value, null, 'no drawdown');
});

test('each sample carries equity, cash, gross exposure and the drawdown from the running peak', () => {
  const { samples } = curveOf([1, 1.1, 0.99, 1.2], DAY, 100);
  // 100 → 110 (peak) → 108.9: (110 − 108.9) / 110 = 1 % → 130.68 (new peak, 0 %)
  assert.deepEqual(
    samples.map((s) => s.drawdownPct),
    [0, 0, 1, 0],
  );
  assert.deepEqual(
    samples.map((s) => s.equity),
    [10_000_000_000n, 11_000_000_000n, 10_890_000_000n, 13_068_000_000n],
  );
});

test("buy and hold: equal shares of the cash at each symbol's first close; exposure is bars begun in a position", () => {
  const b = new BarStats();
  b.begin(1000, 2, 60_000);
  // A: 10 → 11 → 12 (+20 %: 500 → 600); B: 20 → 15 (−25 %: 500 → 375), its first bar one minute later.
  b.bar('A', T0, 10);
  b.decision('A', true);
  b.bar('A', T0 + 60_000, 11);
  b.decision('A', false);
  b.bar('B', T0 + 60_000, 20);
  b.decision('B', true);
  b.bar('A', T0 + 120_000, 12);
  b.decision('A', false);
  b.bar('B', T0 + 120_000, 15);
  b.decision('B', true);
  b.finish();
  assert.equal(b.benchmarkReturnPct, -2.5); // (600 + 375) / 1000 − 1
  // The peak was 1050 (A at 11, B just bought at 20); at the end 975: (1050 − 975) / 1050 = 7.142857 %
  assert.equal(b.benchmarkMaxDrawdownPct, 7.142857);
  assert.equal(b.exposurePct('A'), 66.6667); // 2 of A's 3 bars began long
  assert.equal(b.exposurePct('B'), 0);
  assert.equal(b.exposurePct(), 66.6667); // 2 of 3 slices held something
  assert.equal(b.symbolReturnPct('B'), -25);
});

test('gaps: a day or more of bar time with no bar that holds a whole weekday; nights and weekends are not gaps', () => {
  const b = new BarStats();
  b.begin(1000, 1, 60_000);
  const fri = Date.UTC(2026, 0, 9, 20, 59); // Friday 20:59, the last minute of a US session
  b.bar('A', fri, 1);
  b.bar('A', Date.UTC(2026, 0, 12, 14, 30), 1); // Monday 14:30: a weekend, not a gap
  b.bar('A', Date.UTC(2026, 0, 12, 20, 59), 1);
  b.bar('A', Date.UTC(2026, 0, 13, 14, 30), 1); // a night, not a gap
  b.bar('A', Date.UTC(2026, 0, 15, 14, 30), 1); // Thursday: Tuesday 14:31 → Thursday 14:30 holds all of Wednesday, a gap
  b.finish();
  assert.equal(b.gaps, 1);
  assert.deepEqual(b.largestGap, { from: Date.UTC(2026, 0, 13, 14, 31), to: Date.UTC(2026, 0, 15, 14, 30) });
  assert.equal(holdsWeekday(Date.UTC(2026, 0, 9, 21), Date.UTC(2026, 0, 12, 14, 30)), false); // Sat, Sun only
  assert.equal(holdsWeekday(Date.UTC(2026, 0, 9, 21), Date.UTC(2026, 0, 13, 14, 30)), true); // holds Monday (a holiday)
});
