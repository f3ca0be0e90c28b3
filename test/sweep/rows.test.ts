/**
 * What a sweep writes from its results: the figures (every figure of summary.json is a column), the
 * ranking (best first, ties in grid order, missing and failed last), sweep.csv's fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { backtest } from '../../src/api/backtest.ts';
import { compareFigure, FIGURES, figureOf } from '../../src/sweep/figures.ts';
import { makeGrid, parseAxis, pointAt } from '../../src/sweep/grid.ts';
import { ranking, rowOf, type SweepRow, sweepCsv } from '../../src/sweep/sweep-rows.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const figure = (name: string) => FIGURES.find((f) => f.name === name)!;

/** A row whose summary holds these figures at their places in summary.json. */
function row(index: number, top: Record<string, unknown>, trips: Record<string, unknown> = {}, error: string | null = null): SweepRow {
  const summary = { status: error === null ? 'ok' : 'error', ...top, stats: { trips } };
  return rowOf({ i: String(index) }, { index, runId: `id${index}`, summaryText: JSON.stringify(summary), error });
}

/** Figures at the places summary.json has them that are deliberately no column, each with the reason. */
const NOT_COLUMNS: Readonly<Record<string, string>> = {
  'stats.sharpe': 'the same figure as the top-level sharpe',
  'stats.maxDrawdownPct': 'the same figure as the top-level maxDrawdownPct',
  maxParticipation: 'a setting (--max-participation), the same for every run of a sweep, not a result',
};

test('every figure of a real summary (top level, stats, stats.trips) is a column, read from where summary.json has it', async (t) => {
  const out = join(await tempDir(t, 'tl-sweep-fig-'), 'run');
  const { summary } = await backtest({ data: SAMPLE, minutes: 240, params: { fast: 3, slow: 8 }, out });
  const levels: Array<[string[], Record<string, unknown>]> = [
    [[], summary as unknown as Record<string, unknown>],
    [['stats'], summary.stats as unknown as Record<string, unknown>],
    [['stats', 'trips'], summary.stats!.trips as unknown as Record<string, unknown>],
  ];
  let seen = 0;
  for (const [path, level] of levels) {
    for (const [key, value] of Object.entries(level)) {
      const isFigure = value === null || typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
      if (!isFigure) continue;
      const where = [...path, key].join('.');
      if (Object.hasOwn(NOT_COLUMNS, where)) continue;
      const column = FIGURES.find((f) => f.path.join('.') === where);
      assert.ok(column, `summary.json's ${where} is no sweep column: add it to src/sweep/figures.ts (or to NOT_COLUMNS with the reason)`);
      assert.equal(figureOf(summary, column), value, where);
      seen++;
    }
  }
  assert.equal(seen, FIGURES.length, 'every column is a figure this summary has');
  assert.equal(new Set(FIGURES.map((f) => f.name)).size, FIGURES.length, 'column names are unique');
});

test('ranking: best first, ties in grid order, a missing figure then failed runs last', () => {
  const rows = [
    row(0, { sharpe: 1.5 }),
    row(1, { sharpe: null }),
    row(2, { sharpe: 2 }, {}, 'the strategy threw'),
    row(3, { sharpe: 1.5 }),
    row(4, { sharpe: 3 }),
    row(5, { sharpe: -1 }),
  ];
  assert.deepEqual(ranking(rows, figure('sharpe')), [4, 0, 3, 5, 1, 2]);
});

test('ranking: lowest first for drawdown, fees and refusals; money compared exactly', () => {
  const dd = [row(0, { maxDrawdownPct: 3 }), row(1, { maxDrawdownPct: 0.5 }), row(2, { maxDrawdownPct: 0.5 })];
  assert.deepEqual(ranking(dd, figure('maxDrawdownPct')), [1, 2, 0]);
  // Past 2^53 units of 1e-8 a double cannot tell these apart; the ranking must.
  const money = [row(0, { finalEquity: '123456789.00000001' }), row(1, { finalEquity: '123456789.00000002' }), row(2, { finalEquity: '-5' })];
  assert.notEqual(Number(money[0]!.summary!.finalEquity) < Number(money[1]!.summary!.finalEquity), true, 'a double sees a tie');
  assert.deepEqual(ranking(money, figure('finalEquity')), [1, 0, 2]);
  const fees = [row(0, { fees: '10.5' }), row(1, { fees: '2' })];
  assert.deepEqual(ranking(fees, figure('fees')), [1, 0]);
  const trips = [row(0, {}, { profitFactor: 1.2 }), row(1, {}, { profitFactor: 1.9 }), row(2, {}, { profitFactor: null })];
  assert.deepEqual(ranking(trips, figure('profitFactor')), [1, 0, 2]);
  assert.equal(compareFigure(figure('sharpe'), null, null), 0);
});

test('sweep.csv: the parameters, runId, status, the figures named as in summary.json, the error; fields quoted only when needed', () => {
  const grid = makeGrid([parseAxis('fast=5,10', 10)], 10);
  const ok = rowOf(pointAt(grid, 0), {
    index: 0,
    runId: 'abc',
    summaryText: JSON.stringify({ status: 'ok', fills: 4, finalEquity: '100.5', sharpe: null, stats: { trips: { fees: '0.25' } } }),
    error: null,
  });
  const failed = rowOf(pointAt(grid, 1), { index: 1, runId: null, summaryText: null, error: 'bad "value", line 2\nand more' });
  const [header, first, second, end] = sweepCsv(grid, [ok, failed]).split('\n');
  const columns = header!.split(',');
  assert.deepEqual(columns.slice(0, 3), ['fast', 'runId', 'status']);
  assert.deepEqual(
    columns.slice(3, -1),
    FIGURES.map((f) => f.name),
  );
  assert.equal(columns.at(-1), 'error');
  const cells = first!.split(',');
  const at = (name: string) => cells[columns.indexOf(name)];
  assert.equal(at('fast'), '5');
  assert.equal(at('runId'), 'abc');
  assert.equal(at('fills'), '4');
  assert.equal(at('finalEquity'), '100.5');
  assert.equal(at('sharpe'), '', 'null is an empty field');
  assert.equal(at('tripFees'), '0.25');
  assert.equal(at('error'), '');
  assert.ok(second!.startsWith('10,,failed,'), second);
  assert.ok(`${second}\n${end}`.endsWith(',"bad ""value"", line 2\nand more"'), 'quoted, quotes doubled, the line break kept inside the field');
});
