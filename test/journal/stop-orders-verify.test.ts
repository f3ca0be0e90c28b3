/**
 * Stop orders end to end: a static run of a strategy module (on its own thread) that protects each
 * entry with a stop, a stop-limit and a trailing stop writes their orders and fills in
 * events.ndjson with the new fields, every line valid, each fill where its bar put it; and
 * `tradeloop verify` decides the journaled run again and finds every one as journaled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { validateEventLine } from '../../src/events/schema.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }, {});
  return { code, out, err };
}

/** A price as the log writes it → ticks (test-side: the log's decimals have at most 8 places). */
const ticks = (x: number): bigint => BigInt(Math.round(x * 1e8));

type Line = Record<string, unknown> & { type: string; seq: number };

test('a run placing protective stops logs their orders and fills with the new fields, and verify passes on its journal', async (t) => {
  const dir = await tempDir(t, 'tl-stops-');
  const state = join(dir, 'state');
  const out = join(dir, 'out');
  const strategy = join(ROOT, 'test', 'fixtures', 'strategies', 'protective-stop.ts');
  const r = await cli('run', '--data', join(ROOT, 'data', 'sample'), '--strategy', strategy, '--state', state, '--out', out, '--quiet');
  assert.equal(r.code, 0, r.err);

  const text = readFileSync(join(out, 'events.ndjson'), 'utf8').trimEnd().split('\n');
  for (const line of text) assert.deepEqual(validateEventLine(line), [], line);
  const events = text.map((l) => JSON.parse(l) as Line);
  const slipBps = BigInt(events[0]!.slippageBps as number);
  assert.equal(slipBps, 1n);
  const bars = new Map<string, Line>();
  const orders = new Map<string, Line>();
  for (const e of events) {
    if (e.type === 'bar') bars.set(`${e.symbol}@${e.openTime}`, e);
    if (e.type === 'order') orders.set(e.orderId as string, e);
  }
  const barOf = (e: Line): Line => bars.get(`${e.symbol}@${e.openTime}`)!;

  // Each protective set: the stop 30 bps under the close it was decided on, the stop-limit's limit 30 bps under that.
  const placed = [...orders.values()].filter((o) => o.orderType !== 'market');
  assert.ok(placed.length >= 9);
  for (const o of placed) {
    const close = ticks(barOf(o).close as number);
    if (o.orderType === 'stop' || o.orderType === 'stop_limit') assert.equal(ticks(o.stopPrice as number), (close * 9970n) / 10_000n, o.orderId as string);
    if (o.orderType === 'stop_limit') assert.equal(ticks(o.limitPrice as number), (ticks(o.stopPrice as number) * 9970n) / 10_000n);
    if (o.orderType === 'trailing_stop') assert.equal(o.trailBps, 40);
    assert.deepEqual(
      Object.keys(o).filter((k) => k === 'stopPrice' || k === 'limitPrice' || k === 'trailBps'),
      o.orderType === 'stop' ? ['stopPrice'] : o.orderType === 'stop_limit' ? ['limitPrice', 'stopPrice'] : ['trailBps'],
    );
  }

  // Every fill of a stop where its bar put it: a stop at the stop or the gapped open, less the
  // slippage (a market order); a stop-limit at its limit or the better trigger price, no slippage.
  const filled = new Map<string, number>();
  for (const f of events.filter((e) => e.type === 'fill')) {
    const o = orders.get(f.orderId as string)!;
    filled.set(o.orderType as string, (filled.get(o.orderType as string) ?? 0) + 1);
    if (o.orderType === 'market') continue;
    const bar = barOf(f);
    assert.ok(f.openTime! > o.openTime!, 'a resting order fills on a later bar than it was decided on');
    const open = ticks(bar.open as number);
    const price = ticks(f.price as number);
    if (o.orderType === 'stop') {
      const stop = ticks(o.stopPrice as number);
      assert.ok(ticks(bar.low as number) <= stop);
      const trigger = BigInt(Math.min(Number(open), Number(stop))); // ticks are safe integers
      assert.equal(price, (trigger * (10_000n - slipBps)) / 10_000n, `fill ${f.seq}`);
    }
    if (o.orderType === 'stop_limit') {
      const stop = ticks(o.stopPrice as number);
      const limit = ticks(o.limitPrice as number);
      const trigger = BigInt(Math.min(Number(open), Number(stop))); // ticks are safe integers
      assert.ok(price === limit || (price === trigger && trigger > limit), `fill ${f.seq}`);
    }
    if (o.orderType === 'trailing_stop') assert.ok(price <= (open * (10_000n - slipBps)) / 10_000n, `fill ${f.seq}`);
  }
  assert.deepEqual([...filled.keys()].sort(), ['market', 'stop', 'stop_limit', 'trailing_stop']);

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { restingOrders: Array<Record<string, unknown>> };
  for (const o of summary.restingOrders) assert.ok(['stop', 'stop_limit', 'trailing_stop'].includes(o.orderType as string) && typeof o.stopPrice === 'string');

  const v = await cli('verify', '--state', state);
  assert.equal(v.code, 0, v.out + v.err);
  assert.match(v.out, /verified: 3900 cycles/);

  // The journal holds the new fields, and verify compares them: a trail edited is a divergence.
  const db = new DatabaseSync(join(state, 'journal.sqlite'));
  db.exec("UPDATE ev_order SET trail_bps = trail_bps + 1 WHERE seq = (SELECT MIN(seq) FROM ev_order WHERE order_type = 'trailing_stop')");
  db.close();
  const edited = await cli('verify', '--state', state);
  assert.equal(edited.code, 1);
  assert.match(edited.err, /DIVERGED at cycle \d+ .*order\.trailBps journaled 41, replayed 40/);
});
