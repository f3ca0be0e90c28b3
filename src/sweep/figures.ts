/**
 * The summary's figures a sweep puts in its table: each named as in summary.json, read from where
 * summary.json has it (the top level, `stats`, or `stats.trips`), in this order. They are the CSV's
 * columns after the parameters, and the statistics --rank accepts. Where a name is at two levels
 * the top level's is taken (`sharpe`, `maxDrawdownPct`, `fees`: the run's fees, where `stats.trips`
 * has only the closed trips'); the trips' own fees are `tripFees`.
 */
import { toUnits } from '../stats/decimal.ts';

export type FigureValue = number | string | null;

export interface Figure {
  readonly name: string;
  /** Where summary.json holds it. */
  readonly path: readonly string[];
  /** money: exact decimal text (compared exactly); number: a JSON number (or null where not computed). */
  readonly kind: 'number' | 'money';
  /** Which end ranks first: the larger, except for figures where less is better (drawdown, fees, refusals, losses). */
  readonly best: 'high' | 'low';
}

const top = (name: string, kind: Figure['kind'], best: Figure['best'] = 'high'): Figure => ({ name, path: [name], kind, best });
const stat = (name: string, best: Figure['best'] = 'high'): Figure => ({ name, path: ['stats', name], kind: 'number', best });
const trip = (name: string, kind: Figure['kind'], best: Figure['best'] = 'high', as = name): Figure => ({
  name: as,
  path: ['stats', 'trips', name],
  kind,
  best,
});

export const FIGURES: readonly Figure[] = [
  top('bars', 'number'),
  top('decisions', 'number'),
  top('orders', 'number'),
  top('fills', 'number'),
  top('rejects', 'number', 'low'),
  top('skips', 'number', 'low'),
  top('trades', 'number'),
  top('startEquity', 'money'),
  top('finalEquity', 'money'),
  top('cash', 'money'),
  top('realizedPnl', 'money'),
  top('fees', 'money', 'low'),
  top('returnPct', 'number'),
  top('maxDrawdownPct', 'number', 'low'),
  top('sharpe', 'number'),
  top('grossExposure', 'money'),
  stat('cagrPct'),
  stat('sortino'),
  stat('calmar'),
  stat('exposurePct'),
  trip('roundTrips', 'number'),
  trip('wins', 'number'),
  trip('losses', 'number', 'low'),
  trip('winRatePct', 'number'),
  trip('profitFactor', 'number'),
  trip('netPnl', 'money'),
  trip('fees', 'money', 'low', 'tripFees'),
  trip('avgWin', 'money'),
  trip('avgLoss', 'money'),
  trip('largestWin', 'money'),
  trip('largestLoss', 'money'),
  trip('avgBarsHeld', 'number'),
  trip('openTrips', 'number'),
];

export const FIGURE_NAMES: readonly string[] = FIGURES.map((f) => f.name);

/** The figure's value in a summary; null when the summary has none there (not computed, or a failed run). */
export function figureOf(summary: unknown, figure: Figure): FigureValue {
  let v: unknown = summary;
  for (const key of figure.path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' || typeof v === 'string' ? v : null;
}

/** Orders two values of one figure best first; null (not computed, failed) after every value. Exact for money. */
export function compareFigure(figure: Figure, a: FigureValue, b: FigureValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const ascending = figure.kind === 'money' ? compareUnits(toUnits(String(a)), toUnits(String(b))) : compareNumbers(Number(a), Number(b));
  return figure.best === 'low' ? ascending : -ascending;
}

const compareUnits = (x: bigint, y: bigint): number => (x === y ? 0 : x < y ? -1 : 1);
const compareNumbers = (x: number, y: number): number => (x === y ? 0 : x < y ? -1 : 1);
