/**
 * A sweep's grid: one axis per strategy parameter, each a list of values (text, as `--param k=v`
 * gives them to the strategy), and the runs are their cartesian product in the order the axes were
 * given, the last axis varying fastest (an odometer). An axis comes from `--param name=SPEC`, where
 * SPEC is a range `a..b:step` (inclusive end, exact decimals), a comma list, or one value, or from
 * a JSON file of name → array. Every refusal names the flag (or the file) and the value.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';

export interface Axis {
  readonly name: string;
  readonly values: readonly string[];
}

export interface Grid {
  readonly axes: readonly Axis[];
  /** The number of runs: the product of the axes' lengths. */
  readonly size: number;
}

/** Refused above this many runs unless --max-runs says otherwise: a typo in a step should not start a week of work. */
export const DEFAULT_MAX_RUNS = 10_000;

const NAME = /^[A-Za-z_][\w.-]*$/;
const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** A decimal text as an integer of 10^-scale units. */
function units(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? text.slice(1) : text).split('.');
  const v = BigInt(whole) * 10n ** BigInt(scale) + BigInt(frac.padEnd(scale, '0') || '0');
  return negative ? -v : v;
}

/** Units of 10^-scale back to the shortest decimal text ("1.50" → "1.5", "2.0" → "2", "-0" → "0"). */
function decimalText(v: bigint, scale: number): string {
  const negative = v < 0n;
  const abs = (negative ? -v : v).toString().padStart(scale + 1, '0');
  const whole = abs.slice(0, abs.length - scale);
  const frac = abs.slice(abs.length - scale).replace(/0+$/, '');
  const text = frac === '' ? whole : `${whole}.${frac}`;
  return negative && text !== '0' ? `-${text}` : text;
}

const decimals = (text: string): number => (text.includes('.') ? text.length - text.indexOf('.') - 1 : 0);

/**
 * `a..b:step` (or `a..b`, step 1, for integers): a, a+step, ... up to b inclusive, exact in decimal
 * (0.1..0.3:0.1 is 0.1, 0.2, 0.3, never 0.30000000000000004). The values are written shortest.
 */
function parseRange(name: string, spec: string, maxRuns: number): string[] {
  const m = /^(.*?)\.\.([^:]*)(?::(.*))?$/.exec(spec)!;
  const [a, b, stepText] = [m[1]!.trim(), m[2]!.trim(), m[3]?.trim()];
  const where = `--param ${name}=${spec}`;
  const form = 'a range is FROM..TO:STEP, e.g. 5..30:5 or 0.5..2:0.25 (FROM and TO included when the steps land on it)';
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) throw new UsageError(`${where}: ${form}; ${JSON.stringify(DECIMAL.test(a) ? b : a)} is not a number.`);
  if (stepText === undefined && (decimals(a) > 0 || decimals(b) > 0)) throw new UsageError(`${where}: a range of decimals needs its step: ${a}..${b}:STEP.`);
  const step = stepText ?? '1';
  if (!DECIMAL.test(step) || step.startsWith('-')) throw new UsageError(`${where}: the step ${JSON.stringify(step)} is not a positive number; ${form}.`);
  const scale = Math.max(decimals(a), decimals(b), decimals(step));
  const [from, to, by] = [units(a, scale), units(b, scale), units(step, scale)];
  if (by === 0n) throw new UsageError(`${where}: the step must be above 0; ${form}.`);
  if (to < from) throw new UsageError(`${where}: the range is empty (${b} is below ${a}); write it from the low end, e.g. ${b}..${a}:${step}.`);
  const count = (to - from) / by + 1n;
  if (count > BigInt(maxRuns))
    throw new UsageError(`${where}: ${count} values, more than --max-runs ${maxRuns} allows for the whole grid. Use a larger step, or raise --max-runs.`);
  const values: string[] = [];
  for (let v = from; v <= to; v += by) values.push(decimalText(v, scale));
  return values;
}

/** A comma list ("20,50,100"), a range, or one value; duplicates are refused (two identical runs). */
export function parseAxis(raw: string, maxRuns: number): Axis {
  const at = raw.indexOf('=');
  const name = at < 0 ? raw.trim() : raw.slice(0, at).trim();
  const spec = at < 0 ? '' : raw.slice(at + 1).trim();
  if (at <= 0 || !NAME.test(name)) throw new UsageError(`--param ${raw}: expected NAME=VALUES, e.g. --param fast=5..30:5 or --param slow=20,50,100.`);
  if (spec === '') throw new UsageError(`--param ${name}=: give the values, e.g. --param ${name}=5..30:5 or --param ${name}=20,50,100.`);
  const values = spec.includes('..') ? parseRange(name, spec, maxRuns) : spec.split(',').map((v) => v.trim());
  return { name, values: checkValues(`--param ${name}=${spec}`, values) };
}

function checkValues(where: string, values: readonly string[]): string[] {
  if (values.some((v) => v === '')) throw new UsageError(`${where}: an empty value in the list; separate values with single commas, e.g. 20,50,100.`);
  const dup = values.find((v, i) => values.indexOf(v) !== i);
  if (dup !== undefined) throw new UsageError(`${where}: ${dup} is listed twice (the same run twice); give each value once.`);
  return [...values];
}

/** `--grid FILE.json`: an object of name → non-empty array of numbers or strings, in the file's key order. */
export function readGridFile(path: string): Axis[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--grid ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Name a JSON file such as {"fast": [5, 10], "slow": [20, 50]}.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--grid ${path}: not JSON (${(err as Error).message}). Expected an object such as {"fast": [5, 10], "slow": [20, 50]}.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`--grid ${path}: expected an object of parameter name → list of values, such as {"fast": [5, 10], "slow": [20, 50]}.`);
  return Object.entries(parsed as Record<string, unknown>).map(([name, list]) => {
    const where = `--grid ${path}: "${name}"`;
    if (!NAME.test(name)) throw new UsageError(`${where} is not a parameter name (letters, digits, _ . -, starting with a letter or _).`);
    if (!Array.isArray(list) || list.length === 0) throw new UsageError(`${where}: expected a non-empty list of values, e.g. [5, 10, 15].`);
    const values = list.map((v) => {
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
      throw new UsageError(`${where}: ${JSON.stringify(v)} is not a value; give numbers or non-empty strings.`);
    });
    return { name, values: checkValues(where, values) };
  });
}

/** The grid of these axes; refused when a name repeats, or when it is empty or above maxRuns runs. */
export function makeGrid(axes: readonly Axis[], maxRuns: number): Grid {
  if (axes.length === 0)
    throw new UsageError('no grid: give at least one --param NAME=VALUES (e.g. --param fast=5..30:5 --param slow=20,50,100) or --grid FILE.json.');
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.name)) throw new UsageError(`--param ${a.name} is given twice (in --param or --grid); give each parameter's values once.`);
    seen.add(a.name);
  }
  let size = 1;
  for (const a of axes) size *= a.values.length;
  if (size > maxRuns)
    throw new UsageError(
      `the grid makes ${size.toLocaleString('en-US')} runs (${axes.map((a) => `${a.name} ${a.values.length}`).join(' × ')}), more than --max-runs ${maxRuns}. Narrow it, or raise --max-runs.`,
    );
  return { axes: [...axes], size };
}

/** The run at `index` in grid order: the last axis varies fastest. Keys in axis order, without a prototype (as run-options builds them). */
export function pointAt(grid: Grid, index: number): Record<string, string> {
  const params = Object.create(null) as Record<string, string>;
  let rest = index;
  const digits: string[] = [];
  for (let i = grid.axes.length - 1; i >= 0; i--) {
    const values = grid.axes[i]!.values;
    digits[i] = values[rest % values.length]!;
    rest = Math.floor(rest / values.length);
  }
  grid.axes.forEach((a, i) => {
    params[a.name] = digits[i]!;
  });
  return params;
}

/** The point as `--param k=v` arguments, for the run's own parser. */
export function paramArgs(params: Readonly<Record<string, string>>): string[] {
  return Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
}
