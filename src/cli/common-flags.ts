/**
 * Flags that `run` and `replay-server` share, parsed one way: the symbol list, --file pairs, the
 * interval, and util.parseArgs with its refusals turned into UsageErrors. Each command passes its
 * own `refuse`, which adds where to find its help.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isInterval, INTERVALS } from '../domain/interval.ts';
import type { UsageError } from './usage-error.ts';

export type Refuse = (message: string) => UsageError;

export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: O, refuse: Refuse, allowPositionals = false) {
  try {
    return parseArgs({ args: attachDashValues(argv, options, refuse), allowPositionals, strict: true, options });
  } catch (err) {
    const message = (err as Error).message;
    // A typo gets the flag it most likely meant: one or two letters off a known one.
    const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    const near = unknown === undefined ? null : nearest(unknown, Object.keys(options));
    throw refuse(near === null ? message : `${message}. Did you mean --${near}?`);
  }
}

/** The known name within two edits of `name` (the closest), or null. */
export function nearest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * util.parseArgs takes `--cash -5` for an option followed by another ("argument is ambiguous"), so
 * the flag's own check, which names the expected value, never ran. A value-taking flag followed by
 * anything that is not an option (`-5`, `-.5`, `-runs`) takes it as its value, as `--cash=-5` does;
 * one followed by an option or by nothing is refused here by name.
 */
function attachDashValues(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>, refuse: Refuse): string[] {
  const shorts = new Set(
    Object.values(options)
      .map((o) => o.short)
      .filter((s) => s !== undefined)
      .map((s) => `-${s}`),
  );
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : null;
    if (name === null || !Object.hasOwn(options, name) || options[name]!.type !== 'string') {
      args.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--') || shorts.has(next)) {
      throw refuse(`${arg} needs a value${next === undefined ? ' (it is the last argument)' : `, but is followed by ${next}`}.`);
    }
    if (next.startsWith('-')) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  return args;
}

/** "btcusdt, ETHUSDT" → ['BTCUSDT', 'ETHUSDT']; repeats and non-symbols are refused. May be empty. */
export function parseSymbols(text: string, refuse: Refuse): string[] {
  const symbols = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s.length > 0);
  const dup = symbols.find((s, i) => symbols.indexOf(s) !== i);
  if (dup) throw refuse(`--symbols: ${dup} is listed twice.`);
  // '/' for pairs as Kraken and many vendors write them (BTC/USD); such a symbol's file comes with --file.
  for (const s of symbols)
    if (!/^[A-Z0-9._\-/\p{L}]+$/u.test(s)) throw refuse(`--symbols: ${JSON.stringify(s)} is not a symbol (letters, digits, . _ - / only).`);
  return symbols;
}

/** Repeated KEY=VALUE flags, split at the first '='. */
export function keyValues(flag: string, values: readonly string[], example: string, refuse: Refuse): Array<[string, string]> {
  return values.map((raw) => {
    const at = raw.indexOf('=');
    if (at <= 0 || at === raw.length - 1) throw refuse(`${flag} ${raw}: expected KEY=VALUE, e.g. ${flag} ${example}.`);
    return [raw.slice(0, at).trim(), raw.slice(at + 1).trim()];
  });
}

/** --file SYMBOL=PATH, repeatable: a symbol's files in the order given. */
export function parseFiles(values: readonly string[], symbols: readonly string[], refuse: Refuse): Map<string, string[]> {
  const files = new Map<string, string[]>();
  for (const [symbol, path] of keyValues('--file', values, 'SPY=./spy.csv', refuse)) {
    const key = symbol.toUpperCase();
    if (!symbols.includes(key)) throw refuse(`--file ${symbol}=${path}: ${key} is not in --symbols (${symbols.join(',')}).`);
    // The same file twice would make every row of the second copy a duplicate skip.
    if (files.get(key)?.includes(path)) throw refuse(`--file ${symbol}=${path}: this file is already given for ${key}.`);
    files.set(key, [...(files.get(key) ?? []), path]);
  }
  return files;
}

export function parseInterval(text: string | undefined, refuse: Refuse): string {
  const interval = text?.trim() || '1m';
  if (!isInterval(interval)) throw refuse(`--interval ${interval}: expected one of ${INTERVALS.join(' ')} (1m is a minute, 1M a month).`);
  return interval;
}
