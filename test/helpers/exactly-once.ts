/**
 * The exactly-once checks of a session read off a stream that something died under (a session, a
 * publisher, nats-server): every bar decided once, no order placed twice, and the trading events
 * those of a csv run of the same bars, with the feed halts an outage caused left out.
 */
import assert from 'node:assert/strict';
import { trading } from './trading-events.ts';

/**
 * The trading events without a feed halt and the trading-state change it made: a session whose
 * server went away was halted meanwhile, which a csv run never is. Each is checked on its own.
 */
export function withoutFeedHalts(lines: readonly string[]): string[] {
  const out: string[] = [];
  let dropped = false;
  for (const line of lines) {
    const e = JSON.parse(line) as { type: string; reason?: string };
    const feedHalt = (e.type === 'halt' || e.type === 'resume') && e.reason === 'feed_disconnected';
    if (feedHalt || (dropped && e.type === 'trading_state')) {
      dropped = feedHalt;
      continue;
    }
    dropped = false;
    out.push(line);
  }
  return out;
}

/**
 * Where a feed halt cancelled resting orders: the index in `lines` (trading events) of that halt,
 * or -1. Entering HALTED cancels every resting order but a bracket's exits (README "Halts"), a feed
 * halt too; a csv run never halts, so from there on the two runs may part.
 */
export function feedHaltCancelAt(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const e = JSON.parse(lines[i]!) as { type: string; reason?: string };
    if (e.type !== 'halt' || e.reason !== 'feed_disconnected') continue;
    for (let j = i + 1; j < lines.length; j++) {
      const next = JSON.parse(lines[j]!) as { type: string; reason?: string };
      if (next.type === 'cancel' && next.reason === 'trading_halted') return i;
      if (next.type !== 'trading_state' && next.type !== 'cancel') break;
    }
  }
  return -1;
}

export interface ExactlyOnceOptions {
  /** The session was halted by a feed outage: its halt is among the events, and left out of the comparison. */
  readonly feedHalts?: boolean;
  /** Orders the session must have placed at least (default 11): a check of "no order twice" needs orders. */
  readonly minOrders?: number;
  /**
   * A feed halt that cancelled resting orders parts the run from the csv run's (by design: HALTED
   * cancels them): compare the trading events up to that halt only. Without it, such a halt fails.
   */
  readonly allowHaltCancels?: boolean;
  /** Names the session in the messages. */
  readonly label?: string;
}

/**
 * Every bar of `expected` (`SYMBOL@openTime`) decided once and no other; no order id twice; the
 * trading events of `eventsPath` (the session's events.ndjson, whose text is `log`) those of the csv run `want`.
 */
export function assertExactlyOnce(
  log: string,
  expected: Iterable<string>,
  want: readonly string[],
  eventsPath: string,
  o: ExactlyOnceOptions = {},
): { readonly comparedUpTo: 'end' | 'halt_cancels' } {
  const label = o.label === undefined ? '' : `${o.label}: `;
  const events = log
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; symbol?: string; openTime?: number; orderId?: string });
  const decided = events.filter((e) => e.type === 'decision').map((e) => `${e.symbol}@${e.openTime}`);
  assert.equal(new Set(decided).size, decided.length, `${label}no bar decided twice`);
  assert.deepEqual(new Set(decided), new Set(expected), `${label}every bar decided`);
  const orders = events.filter((e) => e.type === 'order').map((e) => e.orderId!);
  assert.ok(orders.length >= (o.minOrders ?? 11), `${label}${orders.length} orders placed`);
  assert.equal(new Set(orders).size, orders.length, `${label}no order placed twice`);
  const all = trading(eventsPath);
  const cut = o.allowHaltCancels ? feedHaltCancelAt(all) : -1;
  const kept = cut === -1 ? all : all.slice(0, cut);
  const got = o.feedHalts ? withoutFeedHalts(kept) : kept;
  if (o.feedHalts && cut === -1) assert.ok(got.length < all.length, `${label}the feed halt is among the trading events`);
  const first = got.findIndex((line, i) => line !== want[i]);
  assert.equal(first, -1, `${label}first difference at trading event ${first}:\n  csv      ${want[first]}\n  stream   ${got[first]}`);
  if (cut !== -1) return { comparedUpTo: 'halt_cancels' };
  assert.equal(got.length, want.length, `${label}as many trading events as the csv run`);
  return { comparedUpTo: 'end' };
}
