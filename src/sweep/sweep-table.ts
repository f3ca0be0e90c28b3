/**
 * The sweep on the terminal: the best runs by --rank (the top N), a few figures beside the ranking
 * one, and the failed runs with their reason. The files hold every run and every figure.
 */
import { type Figure, FIGURES, figureOf } from './figures.ts';
import type { Grid } from './grid.ts';
import type { SweepRow } from './sweep-rows.ts';

/** Shown beside the ranking figure: the ones a person reads first. */
const SHOWN = ['returnPct', 'sharpe', 'maxDrawdownPct', 'profitFactor', 'trades', 'finalEquity'];
/** Failed runs listed one a line; the rest are counted (sweep.csv has them all). */
const FAILURES_LISTED = 5;

export function paramsText(grid: Grid, params: Readonly<Record<string, string>>): string {
  return grid.axes.map((a) => `${a.name}=${params[a.name]}`).join(' ');
}

export function formatTable(grid: Grid, rows: readonly SweepRow[], order: readonly number[], rank: Figure, top: number): string {
  const figures = [rank, ...FIGURES.filter((f) => SHOWN.includes(f.name) && f !== rank)];
  const header = ['#', ...grid.axes.map((a) => a.name), ...figures.map((f) => f.name), 'status'];
  const body = order.slice(0, top).map((index, i) => {
    const r = rows[index]!;
    return [String(i + 1), ...grid.axes.map((a) => r.params[a.name] ?? ''), ...figures.map((f) => cell(figureOf(r.summary, f))), r.status];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  // Parameters and figures are right-aligned (numbers); the status is text.
  const line = (cells: readonly string[]) => `  ${cells.map((text, c) => (c === cells.length - 1 ? text : text.padStart(widths[c]!))).join('  ')}`.trimEnd();
  const shown = Math.min(top, rows.length);
  const title = `  ranked by ${rank.name} (${rank.best === 'high' ? 'highest' : 'lowest'} first)${shown < rows.length ? `, top ${shown} of ${rows.length}` : ''}:`;
  return `${[title, line(header), ...body.map(line)].join('\n')}\n`;
}

function cell(v: number | string | null): string {
  return v === null ? '-' : String(v);
}

export function formatFailures(grid: Grid, rows: readonly SweepRow[]): string {
  const failed = rows.filter((r) => r.error !== null);
  if (failed.length === 0) return '';
  const lines = failed.slice(0, FAILURES_LISTED).map((r) => `    ${paramsText(grid, r.params)}: ${firstLine(r.error!)}`);
  if (failed.length > FAILURES_LISTED) lines.push(`    and ${failed.length - FAILURES_LISTED} more (sweep.csv's error column has each)`);
  return `  failed        ${failed.length} of ${rows.length} runs:\n${lines.join('\n')}\n`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]!;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
