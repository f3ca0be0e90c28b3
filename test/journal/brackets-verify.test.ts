/**
 * Brackets end to end: a static run of a strategy module (on its own thread) that enters with
 * brackets of every kind (market buys, limit buys, market sells), cancels legs and closes some
 * positions itself writes every entry's exit prices, every exit's links, fills and oco cancels in
 * events.ndjson, every line valid and every exit where its entry put it; no exit ever opens or
 * flips a position; and `tradeloop verify` decides the journaled run again and finds every one.
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

type Line = Record<string, unknown> & { type: string; seq: number; orderId?: string; symbol?: string; openTime?: number };

test('a run placing brackets logs each entry, its exits, their fills and oco cancels, and verify passes on its journal', async (t) => {
  const dir = await tempDir(t, 'tl-brackets-');
  const state = join(dir, 'state');
  const out = join(dir, 'out');
  const strategy = join(ROOT, 'test', 'fixtures', 'strategies', 'bracket-trader.ts');
  const r = await cli('run', '--data', join(ROOT, 'data', 'sample'), '--strategy', strategy, '--state', state, '--out', out, '--quiet');
  assert.equal(r.code, 0, r.err);

  const text = readFileSync(join(out, 'events.ndjson'), 'utf8').trimEnd().split('\n');
  for (const line of text) assert.deepEqual(validateEventLine(line), [], line);
  const events = text.map((l) => JSON.parse(l) as Line);
  const orders = new Map<string, Line>();
  for (const e of events) if (e.type === 'order') orders.set(e.orderId!, e);

  // Each exit is its entry's: the opposite side, at the entry's prices, linked both ways, placed
  // right after a fill of its entry (in that fill's cycle) for no more than the entry's quantity.
  const exits = [...orders.values()].filter((o) => o.parentId !== undefined);
  assert.ok(exits.length > 100, `${exits.length} exits`);
  for (const x of exits) {
    const entry = orders.get(x.parentId as string)!;
    const at = events.indexOf(x);
    assert.equal(x.side, entry.side === 'buy' ? 'sell' : 'buy');
    assert.ok((x.qty as number) <= (entry.qty as number));
    if (x.orderType === 'limit') {
      assert.equal(x.orderId, `${entry.orderId}-tp`);
      assert.equal(x.ocoWith, `${entry.orderId}-sl`);
      assert.equal(x.limitPrice, entry.takeProfit);
      const fill = events[at - 1]!;
      assert.deepEqual([fill.type, fill.orderId, fill.openTime], ['fill', entry.orderId, x.openTime], `${x.orderId} placed right after its entry's fill`);
    } else {
      assert.equal(x.orderType, 'stop');
      assert.equal(x.orderId, `${entry.orderId}-sl`);
      assert.equal(x.ocoWith, `${entry.orderId}-tp`);
      assert.equal(x.stopPrice, entry.stopLoss);
      assert.equal(events[at - 1]!.orderId, `${entry.orderId}-tp`);
    }
  }
  const kinds = new Set([...orders.values()].filter((o) => o.takeProfit !== undefined).map((o) => `${o.side} ${o.orderType}`));
  assert.deepEqual([...kinds].sort(), ['buy limit', 'buy market', 'sell market']);

  // An exit fill never opens or flips a position, and its sibling leaves oco at once after it;
  // each fills where its bar put it: the take-profit at its limit or the better open, the
  // stop-loss at its stop or the open it gapped past, moved by the 1 bp slippage (rounded against).
  const ticks = (x: unknown): bigint => BigInt(Math.round((x as number) * 1e8));
  const bars = new Map<string, Line>();
  for (const e of events) if (e.type === 'bar') bars.set(`${e.symbol}@${e.openTime}`, e);
  const position = new Map<string, number>();
  const counts = { tp: 0, sl: 0, closedAway: 0, legCancelled: 0 };
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type === 'cancel' && e.reason === 'oco') {
      if (String(e.detail).includes('protected is closed')) counts.closedAway++;
      if (String(e.detail).endsWith('was cancelled')) counts.legCancelled++;
    }
    if (e.type !== 'fill') continue;
    const before = position.get(e.symbol!) ?? 0;
    const after = e.position as number;
    position.set(e.symbol!, after);
    const o = orders.get(e.orderId!)!;
    if (o.parentId === undefined) continue;
    counts[o.orderType === 'limit' ? 'tp' : 'sl']++;
    const open = ticks(bars.get(`${e.symbol}@${e.openTime}`)!.open);
    const price = ticks(e.price);
    const sell = o.side === 'sell';
    const better = (a: bigint, b: bigint): bigint => ((sell ? a > b : a < b) ? a : b);
    if (o.orderType === 'limit') assert.equal(price, better(open, ticks(o.limitPrice)), `fill ${e.seq}`);
    else {
      const trigger = better(ticks(o.stopPrice), open) === open ? ticks(o.stopPrice) : open;
      assert.equal(price, sell ? (trigger * 9_999n) / 10_000n : (trigger * 10_001n + 9_999n) / 10_000n, `fill ${e.seq}`);
    }
    assert.ok(before > 0 ? after >= 0 && after < before : after <= 0 && after > before, `fill ${e.seq}: ${before} → ${after}`);
    const next = events[i + 1]!;
    if (after === 0) assert.deepEqual([next.type, next.orderId, next.reason], ['cancel', o.ocoWith, 'oco'], `fill ${e.seq}`);
  }
  assert.ok(counts.tp > 50 && counts.sl > 50 && counts.closedAway > 10 && counts.legCancelled > 10, JSON.stringify(counts));

  const v = await cli('verify', '--state', state);
  assert.equal(v.code, 0, v.out + v.err);
  assert.match(v.out, /verified: 3900 cycles/);

  // The journal holds the new fields, and verify compares them: an edited take-profit is a divergence.
  const db = new DatabaseSync(join(state, 'journal.sqlite'));
  db.exec('UPDATE ev_order SET take_profit = take_profit + 1 WHERE seq = (SELECT MIN(seq) FROM ev_order WHERE take_profit IS NOT NULL)');
  db.close();
  const edited = await cli('verify', '--state', state);
  assert.equal(edited.code, 1);
  assert.match(edited.err, /DIVERGED at cycle \d+ .*order\.takeProfit journaled [\d.]+, replayed [\d.]+/);
});
