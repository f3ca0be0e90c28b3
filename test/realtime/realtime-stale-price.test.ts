/**
 * Never at a stale price: after an outage, an order decided on a backfilled bar waits for the
 * symbol's first live bar. An exit older than --max-bar-age is not refused (that would leave the
 * position open at whatever the market does next): it is carried to the first live open and filled
 * there; an entry that old is refused as before. The strategy (ctx.updates) and the terminal are
 * told, the terminal line naming the position left open meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { startSession } from '../../src/api/start-session.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import type { OrderUpdate, Strategy } from '../../src/strategy/strategy.ts';

const minute = (t: unknown) => (Number(t) - Date.UTC(2026, 0, 5)) / 60_000;
const T3 = Date.UTC(2026, 0, 5, 0, 3);

/**
 * Minutes 0 and 1 live at 100; the connection drops; minutes 2..6 close during the outage, falling
 * from 88 to 84 (each bar opens at its close), and come by backfill once minute 7 (120) arrives live.
 */
/** What the scenario needs of a run: its events, a wait on them, its clock. */
interface Observed {
  readonly clock: VirtualClock;
  of(type: string): Array<Record<string, unknown>>;
  waitFor(what: string, cond: (r: Pick<Observed, 'of'>) => boolean): Promise<void>;
}

/** A bar of 100 BTC traded: the default participation cap (a tenth) fills these orders of 1.5 BTC whole. */
const liquid = (m: number, close: number) => ({ ...bar('BTCUSDT', m, close), volume: '100.00000000' });

async function outage(fake: FakeBinance, run: Observed): Promise<void> {
  const first = await fake.waitForConnections(1);
  for (const m of [0, 1]) fake.sendKline(liquid(m, 100), true);
  await run.waitFor('the entry filled', (r) => r.of('fill').length === 1);
  fake.drop(first);
  await run.waitFor('disconnected', (r) => r.of('halt').some((e) => e.reason === 'feed_disconnected'));
  for (const m of [2, 3, 4, 5, 6]) fake.restBars.get('BTCUSDT')!.push(liquid(m, 90 - m));
  run.clock.advance(1_000);
  const second = await fake.waitForConnections(2);
  fake.sendKline(liquid(7, 120), true, Date.now(), second);
  await run.waitFor('8 decisions', (r) => r.of('decision').length === 8);
}

test('an exit decided on a backfilled bar older than --max-bar-age fills at the first live open; an entry that old is refused; strategy and terminal told', async () => {
  const seen: Array<{ minute: number; position: number; updates: readonly OrderUpdate[] }> = [];
  // Lot 0.001: 1500 lots are 1.5 BTC. Buy 1.5 on minute 0, buy 1 more on minute 2, sell the 1.5 on minute 3.
  const plan: Record<number, unknown[]> = { 0: [{ side: 'buy', qty: 1500 }], 2: [{ side: 'buy', qty: 1000 }], 3: [{ side: 'sell', qty: 1500 }] };
  const trader: Strategy = {
    name: 'trader',
    warmup: 0,
    onBar: (b, ctx) => {
      seen.push({ minute: minute(b.openTime), position: ctx.position, updates: ctx.updates });
      return (plan[minute(b.openTime)] ?? []) as [];
    },
  };
  const fake = await FakeBinance.start(['BTCUSDT']);
  const options = { symbols: ['BTCUSDT'], lots: { BTCUSDT: '0.001' }, staleAfterMs: 60_000, staleAlertAfterMs: 120_000 };
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options, strategy: trader });
  try {
    await outage(fake, run);

    assert.deepEqual(
      run.of('bar').map((b) => [minute(b.openTime), b.source]),
      [
        [0, 'ws'],
        [1, 'ws'],
        [2, 'rest-backfill'],
        [3, 'rest-backfill'],
        [4, 'rest-backfill'],
        [5, 'rest-backfill'],
        [6, 'rest-backfill'],
        [7, 'ws'],
      ],
    );
    // The entry on minute 2 (5 intervals older than minute 7) is refused as before.
    assert.deepEqual(
      run.of('reject').map((r) => [minute(r.openTime), r.reason, r.side]),
      [[2, 'stale_bar', 'buy']],
    );
    // The exit on minute 3 (4 intervals old) is accepted, marked as waiting for the live open ...
    const exit = run.of('order').find((o) => minute(o.openTime) === 3)!;
    assert.equal(exit.waitsFor, 'live_open');
    assert.equal(exit.side, 'sell');
    // ... no backfilled bar fills it (minute 4 opened at 86), the first live bar does: at its open, 120, less 1 bp of
    // slippage (the entry: minute 1's open, 100, plus 1 bp).
    assert.deepEqual(
      run.of('fill').map((f) => [f.orderId, minute(f.openTime), f.price, f.liquidity, f.position]),
      [
        [`BTCUSDT-${Date.UTC(2026, 0, 5)}-0`, 1, 100.01, 'taker', 1.5],
        [`BTCUSDT-${T3}-0`, 7, 119.988, 'taker', 0],
      ],
    );
    // The strategy saw the position open while the exit waited, and was told why on its next bar.
    const at = (m: number) => seen.find((s) => s.minute === m)!;
    assert.equal(at(4).position, 1500);
    assert.deepEqual(
      at(4).updates.map((u) => [u.type, u.orderId, u.type === 'waiting' ? u.waitsFor : null]),
      [['waiting', `BTCUSDT-${T3}-0`, 'live_open']],
    );
    assert.equal(at(6).position, 1500, 'still open on the last backfilled bar');
    assert.equal(at(7).position, 0, 'closed by the time the strategy sees the first live bar');
    // The terminal names the position left open.
    const terminal = run.stdout.join('');
    assert.match(
      terminal,
      /ALERT {3}stale_price: BTCUSDT long 1\.5 left open: exit sell 1\.5 market decided on the backfilled bar of 2026-01-05T00:03Z waits for the first live open\n/,
    );
    assert.match(terminal, /REJECT {2}stale_bar: BTCUSDT buy 1: this bar closed 5 intervals before the newest BTCUSDT bar/);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('the journal of such a run decides it again the same way: tradeloop verify passes', async (t) => {
  // From code (startSession), so the journal names the strategy's file as verify will load it.
  const module = resolve(import.meta.dirname, '..', 'fixtures', 'strategies', 'bar-plan.ts');
  const out = join(await tempDir(t, 'tl-stale-verify-'), 'run');
  const fake = await FakeBinance.start(['BTCUSDT']);
  const events: Array<Record<string, unknown>> = [];
  const clock = new VirtualClock(Date.now());
  const session = await startSession({
    realtime: true,
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    symbols: ['BTCUSDT'],
    lot: { BTCUSDT: '0.001' },
    staleAfter: 60,
    strategy: module,
    params: { plan: '0:buy:1500;2:buy:1000;3:sell:1500' },
    out,
    clock,
    onEvent: (e) => events.push(e as unknown as Record<string, unknown>),
  });
  const of = (type: string) => events.filter((e) => e.type === type);
  try {
    await outage(fake, { clock, of, waitFor: (what, cond) => until(() => cond({ of }), what) });
    await until(() => of('fill').length === 2, 'the exit filled');
    assert.deepEqual(
      of('fill').map((f) => [minute(f.openTime), f.price, f.liquidity]),
      [
        [1, 10_001_000_000, 'taker'],
        [7, 11_998_800_000, 'taker'],
      ],
    );
  } finally {
    await session.stop();
    await fake.close();
  }
  // The run's folder is its state folder; the backfilled bars are journaled as such, so the exit waits again and fills where it did.
  let said = '';
  const code = await main(['verify', '--state', out], { stdout: (t) => (said += t), stderr: (t) => (said += t) }, {});
  assert.equal(code, 0, said);
});
