/**
 * Partial fills and times in force end to end: a static run of a strategy module (on its own
 * thread) that places GTC, IOC, FOK and GTD orders, post-only limits and reduce-only exits under a
 * participation cap small enough to bind on the bundled data (R = 0.0001: 5 to 35 shares a bar)
 * writes the new fields in events.ndjson, every line valid, every fill within its bar's cap and
 * every order's quantities adding up; and `tradeloop verify` decides the journaled run again and
 * finds every one as journaled, and names a `remaining` or a `timeInForce` edited in the journal.
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

type Line = Record<string, unknown> & { type: string; seq: number };

test('a run under a binding participation cap logs partial fills and times in force, and verify passes on its journal', async (t) => {
  const dir = await tempDir(t, 'tl-tif-');
  const state = join(dir, 'state');
  const out = join(dir, 'out');
  const strategy = join(ROOT, 'test', 'fixtures', 'strategies', 'time-in-force.ts');
  const r = await cli(
    'run',
    '--data',
    join(ROOT, 'data', 'sample'),
    '--strategy',
    strategy,
    '--param',
    'qty=20',
    '--max-participation',
    '0.0001',
    '--state',
    state,
    '--out',
    out,
    '--quiet',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /PARTIAL SPY /, 'the terminal says the partial fills');

  const text = readFileSync(join(out, 'events.ndjson'), 'utf8').trimEnd().split('\n');
  for (const line of text) assert.deepEqual(validateEventLine(line), [], line);
  const events = text.map((l) => JSON.parse(l) as Line);
  assert.equal(events[0]!.maxParticipation, 0.0001);
  const volume = new Map<string, number>();
  const orders = new Map<string, Line>();
  for (const e of events) {
    if (e.type === 'bar') volume.set(`${e.symbol}@${e.openTime}`, e.volume as number);
    if (e.type === 'order') orders.set(e.orderId as string, e);
  }

  // Every bar's fills of a symbol within floor(volume × 0.0001) shares, all orders together.
  const filledInBar = new Map<string, number>();
  for (const f of events.filter((e) => e.type === 'fill')) {
    const key = `${f.symbol}@${f.openTime}`;
    filledInBar.set(key, (filledInBar.get(key) ?? 0) + (f.qty as number));
  }
  let binding = 0;
  for (const [key, lots] of filledInBar) {
    const cap = Math.floor((volume.get(key) as number) / 10_000);
    assert.ok(lots <= cap, `${key}: ${lots} filled, the cap is ${cap}`);
    if (lots === cap) binding++;
  }
  assert.ok(binding > 100, `the cap binds (${binding} bars at it)`);

  // Each order: every fill's remaining is what was left less the fill; what is left at the end is
  // cancelled (with a reason its terms explain) or still working.
  const left = new Map([...orders].map(([id, o]) => [id, o.qty as number]));
  const fillBars = new Map<string, Set<number>>();
  const ended = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'fill') {
      const id = e.orderId as string;
      const rest = left.get(id)! - (e.qty as number);
      assert.equal(e.remaining ?? 0, rest, `fill ${e.seq}`);
      left.set(id, rest);
      fillBars.set(id, (fillBars.get(id) ?? new Set()).add(e.openTime as number));
    }
    if (e.type === 'cancel') ended.set(e.orderId as string, e.reason as string);
  }
  const working = new Set(
    (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { restingOrders: Array<{ orderId: string }> }).restingOrders.map((o) => o.orderId),
  );
  const reasons = new Set<string>();
  for (const [id, o] of orders) {
    const rest = left.get(id)!;
    const why = ended.get(id);
    if (why !== undefined) reasons.add(why);
    assert.ok(rest === 0 || why !== undefined || working.has(id), `${id}: ${rest} unaccounted for`);
    if (o.timeInForce === 'IOC' || o.timeInForce === 'FOK') assert.ok((fillBars.get(id)?.size ?? 0) <= 1, `${id} filled on one bar at most`);
    if (o.timeInForce === 'FOK') assert.ok(rest === 0 || (rest === o.qty && why === 'fok'), `${id}: a FOK fills whole or not at all`);
    if (o.timeInForce === 'IOC' && rest > 0) assert.ok(why === 'ioc' || why === 'reduce_only', `${id}: an IOC's rest is cancelled`);
  }
  assert.deepEqual([...reasons].sort(), ['expired', 'fok', 'ioc', 'reduce_only']);
  assert.ok([...orders.values()].some((o) => o.postOnly === true && o.timeInForce === 'GTD' && o.expireAfterBars === 5));
  assert.ok([...orders.values()].some((o) => o.reduceOnly === true));
  assert.ok(events.some((e) => e.type === 'reject' && e.reason === 'post_only'));

  const v = await cli('verify', '--state', state);
  assert.equal(v.code, 0, v.out + v.err);
  assert.match(v.out, /verified: 3900 cycles/);

  // The journal holds the new fields, and verify compares them.
  const db = new DatabaseSync(join(state, 'journal.sqlite'));
  db.exec('UPDATE ev_fill SET remaining = remaining + 1 WHERE seq = (SELECT MIN(seq) FROM ev_fill WHERE remaining IS NOT NULL)');
  db.close();
  const edited = await cli('verify', '--state', state);
  assert.equal(edited.code, 1);
  assert.match(edited.err, /DIVERGED at cycle \d+ .*fill\.remaining journaled \d+, replayed \d+/);
  const db2 = new DatabaseSync(join(state, 'journal.sqlite'));
  db2.exec('UPDATE ev_fill SET remaining = remaining - 1 WHERE seq = (SELECT MIN(seq) FROM ev_fill WHERE remaining IS NOT NULL)');
  db2.exec("UPDATE ev_order SET time_in_force = 'FOK' WHERE seq = (SELECT MIN(seq) FROM ev_order WHERE time_in_force = 'IOC')");
  db2.close();
  const tif = await cli('verify', '--state', state);
  assert.equal(tif.code, 1);
  assert.match(tif.err, /order\.timeInForce journaled "FOK", replayed "IOC"/);
});
