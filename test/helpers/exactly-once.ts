/**
 * The exactly-once checks of a session read off a stream that something died under (a session, a
 * publisher, nats-server): every bar decided once, no order placed twice, and the trading events
 * those of a csv run of the same bars.
 */
import assert from 'node:assert/strict';
import { trading } from './trading-events.ts';

export interface ExactlyOnceOptions {
  /** Orders the session must have placed at least (default 11): a check of "no order twice" needs orders. */
  readonly minOrders?: number;
  /** Names the session in the messages. */
  readonly label?: string;
}

/**
 * Every bar of `expected` (`SYMBOL@openTime`) decided once and no other; no order id twice; the
 * trading events of `eventsPath` (the session's events.ndjson, whose text is `log`) exactly those
 * of the csv run `want`: an outage of any part (a session, a publisher, nats-server) changes none.
 */
export function assertExactlyOnce(log: string, expected: Iterable<string>, want: readonly string[], eventsPath: string, o: ExactlyOnceOptions = {}): void {
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
  const got = trading(eventsPath);
  const first = got.findIndex((line, i) => line !== want[i]);
  assert.equal(first, -1, `${label}first difference at trading event ${first}:\n  csv      ${want[first]}\n  stream   ${got[first]}`);
  assert.equal(got.length, want.length, `${label}as many trading events as the csv run`);
}
