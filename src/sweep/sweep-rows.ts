/**
 * What a sweep writes: one row per grid point in grid order (sweep.csv), the grid, the ranking and
 * every run's summary as summary.json holds it (sweep.json). Nothing here depends on the order runs
 * finished in, the number of workers, the clock or the machine: the same sweep, the same bytes.
 */
import type { RunSummary } from '../events/types.ts';
import { compareFigure, type Figure, FIGURES, figureOf, type FigureValue } from './figures.ts';
import type { Grid } from './grid.ts';
import type { PointResult } from './run-point.ts';

export interface SweepRow {
  readonly index: number;
  readonly params: Readonly<Record<string, string>>;
  readonly runId: string | null;
  /** The summary's status; `failed` for a run that wrote no summary (refused, stuck, its worker died). */
  readonly status: string;
  readonly error: string | null;
  readonly summary: RunSummary | null;
}

export function rowOf(params: Readonly<Record<string, string>>, result: PointResult): SweepRow {
  const summary = result.summaryText === null ? null : (JSON.parse(result.summaryText) as RunSummary);
  return { index: result.index, params, runId: result.runId, status: summary?.status ?? 'failed', error: result.error, summary };
}

/** Grid indexes best first by `rank`: runs without the figure, then failed runs, last; ties in grid order. */
export function ranking(rows: readonly SweepRow[], rank: Figure): number[] {
  const value = (r: SweepRow): FigureValue => (r.error === null ? figureOf(r.summary, rank) : null);
  return rows
    .map((r) => ({ r, v: value(r) }))
    .sort((a, b) => Number(a.r.error !== null) - Number(b.r.error !== null) || compareFigure(rank, a.v, b.v) || a.r.index - b.r.index)
    .map(({ r }) => r.index);
}

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function field(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** sweep.csv: a column per parameter, runId and status, the figures named as in summary.json, the error. */
export function sweepCsv(grid: Grid, rows: readonly SweepRow[]): string {
  const header = [...grid.axes.map((a) => a.name), 'runId', 'status', ...FIGURES.map((f) => f.name), 'error'];
  const lines = rows.map((r) =>
    [...grid.axes.map((a) => r.params[a.name] ?? null), r.runId, r.status, ...FIGURES.map((f) => figureOf(r.summary, f)), r.error].map(field).join(','),
  );
  return `${[header.map(field).join(','), ...lines].join('\n')}\n`;
}

export interface SweepJsonInput {
  readonly sweepId: string;
  readonly strategy: string;
  readonly grid: Grid;
  readonly rank: Figure;
  readonly rows: readonly SweepRow[];
}

/** sweep.json: each run's summary is the parsed summary.json, so it prints back to the same JSON. */
export function sweepJson(input: SweepJsonInput): string {
  const { rows, rank } = input;
  const doc = {
    sweepId: input.sweepId,
    strategy: input.strategy,
    grid: input.grid.axes.map((a) => ({ name: a.name, values: a.values })),
    order: 'the cartesian product of the grid in the order given, the last parameter varying fastest',
    rank: rank.name,
    rankOrder: rank.best === 'high' ? 'highest first' : 'lowest first',
    runs: rows.length,
    failed: rows.filter((r) => r.error !== null).length,
    ranking: ranking(rows, rank),
    results: rows.map((r) => ({
      index: r.index,
      params: r.params,
      runId: r.runId,
      status: r.status,
      ...(r.error === null ? {} : { error: r.error }),
      summary: r.summary,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
