/**
 * What a parity test compares between two runs of the same bars: the trading events (decisions,
 * orders, fills, cancels, rejects, halts, resumes and trading states) in order, each as its line
 * without `seq` and `at` (seq counts every event, and only realtime has wall-clock times).
 */
import { readFileSync } from 'node:fs';

export const TRADING = new Set(['decision', 'order', 'fill', 'cancel', 'reject', 'halt', 'resume', 'trading_state']);

/** The trading events of an events.ndjson, as comparable lines. */
export function trading(path: string): string[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => TRADING.has(String(e.type)))
    .map(({ seq: _seq, at: _at, ...rest }) => JSON.stringify(rest));
}
