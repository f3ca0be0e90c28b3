/**
 * trades.csv's order-type columns from the real loop: a trip leaving by each order type, one closed
 * by an operator's flatten (`market`, exitBy `operator`), one leaving by two types (`limit+market`),
 * and a flip (the limit that flips closes one trip and opens the next, its slippage split by
 * quantity). The slippage of each trip is recomputed here from the recorded events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeLoop, scripted, bar, T } from '../helpers/loop.ts';
import { RunStatistics } from '../../src/stats/run-statistics.ts';
import type { RunStartEvent } from '../../src/events/types.ts';
import { toUnits } from '../../src/stats/decimal.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const sell = (extra: Record<string, unknown> = {}, qty = 1) => [{ side: 'sell', qty, ...extra }];
const buy = (qty = 1) => [{ side: 'buy', qty }];

// Every bar opens and closes at 100, high 101, low 99 (a tie: the path goes to the high first).
// Next-open: a market order decided on bar N fills at bar N+1's open; the others rest from N+1 on.
const PLAN: Record<number, unknown[]> = {
  0: buy(),
  1: sell(), // market, filled on bar 2 at 100
  2: buy(),
  3: sell({ orderType: 'limit', limitPrice: 100.5 * T }), // bar 4: the path goes through 100.5 on its way to 101
  4: buy(),
  5: sell({ orderType: 'stop', stopPrice: 99.5 * T }), // bar 6: reached on the way down to 99
  6: buy(),
  7: sell({ orderType: 'stop_limit', stopPrice: 99.5 * T, limitPrice: 99.2 * T }),
  8: buy(),
  9: sell({ orderType: 'trailing_stop', trailBps: 10 }), // best 101 on bar 10, then down to 99 passes its stop
  10: buy(), // filled on bar 11; after bar 11 an operator flattens it
  12: buy(2),
  13: sell({ orderType: 'limit', limitPrice: 100.5 * T }), // half out by limit on bar 14…
  14: sell(), // …the rest at market on bar 15
  16: buy(),
  17: sell({ orderType: 'limit', limitPrice: 100.5 * T }, 2), // bar 18: long 1 → short 1, a flip
};

test('each exit order type, a flatten by an operator, a mixed exit and a flip, with each trip slippage', async (t) => {
  const dir = await tempDir(t, 'tl-exit-types-');
  const statistics = new RunStatistics(dir);
  const { engine, broker, bus, rec } = makeLoop(scripted(PLAN), { fillModel: 'next-open', slippageBpsE4: 100_000n, sinks: [statistics] });
  bus.emit({
    type: 'run_start',
    symbols: ['SPY'],
    lotSizes: { SPY: '1' },
    cash: '10000',
    interval: '1m',
  } as unknown as RunStartEvent);
  for (let i = 0; i <= 18; i++) {
    engine.cycle(bar(i, 100));
    if (i === 11) engine.flatten(['SPY'], 1, () => ({ price: 100 * T, source: 'last_close', time: 11 * 60_000 }));
  }
  engine.finish();
  await statistics.finish(broker);

  const [header, ...lines] = readFileSync(join(dir, 'trades.csv'), 'utf8').trimEnd().split('\n');
  const cols = header!.split(',');
  const trips = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
  assert.deepEqual(
    trips.map((r) => [r.side, r.status, r.entryOrderType, r.exitOrderType, r.exitBy]),
    [
      ['long', 'closed', 'market', 'market', 'strategy'],
      ['long', 'closed', 'market', 'limit', 'strategy'],
      ['long', 'closed', 'market', 'stop', 'strategy'],
      ['long', 'closed', 'market', 'stop_limit', 'strategy'],
      ['long', 'closed', 'market', 'trailing_stop', 'strategy'],
      ['long', 'closed', 'market', 'market', 'operator'],
      ['long', 'closed', 'market', 'limit+market', 'strategy'],
      ['long', 'closed', 'market', 'limit', 'strategy'],
      ['short', 'open', 'limit', '', ''],
    ],
  );

  // Each fill against its decision close (100 for every bar here), a cost positive, then summed per trip.
  const orders = new Map(rec.of('order').map((o) => [o.orderId, o]));
  const fills = rec.of('fill').map((f) => {
    const o = orders.get(f.orderId)!;
    assert.ok(o, `an order for ${f.orderId}`);
    const ref = 100 * T;
    return { qty: BigInt(f.qty), cost: BigInt(f.side === 'buy' ? f.price - ref : ref - f.price) * BigInt(f.qty), side: f.side };
  });
  assert.equal(fills.length, 17);
  // Walk the fills into trips: the flip (the last fill, 2 lots) gives its first lot's share to the closing trip.
  const expected: bigint[] = [];
  let held = 0n;
  let sum = 0n;
  for (const f of fills) {
    const q = f.side === 'buy' ? f.qty : -f.qty;
    if (held > 0n && held + q < 0n) {
      const closing = (f.cost * held) / f.qty;
      expected.push(sum + closing);
      sum = f.cost - closing;
      held += q;
      continue;
    }
    held += q;
    sum += f.cost;
    if (held === 0n) {
      expected.push(sum);
      sum = 0n;
    }
  }
  expected.push(sum);
  assert.deepEqual(
    trips.map((r) => toUnits(r.slippage!)),
    expected,
  );
  // By hand: slippage is 10 bps on what takes (market orders, stops): 0.1 a lot at 100; a limit none.
  // The market round trip: 0.1 in, 0.1 out. The flatten filled at the last close less 10 bps: 0.1 too.
  assert.equal(trips[0]!.slippage, '0.2');
  assert.equal(trips[5]!.slippage, '0.2');
  // The flip: 2 lots sold at the limit 100.5, decided at 100: −1, half to each trip; the long one's entry paid 0.1.
  assert.deepEqual([trips[7]!.slippage, trips[8]!.slippage], ['-0.4', '-0.5']);
});
