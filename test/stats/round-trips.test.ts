import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FillEvent } from '../../src/events/types.ts';
import { toUnits } from '../../src/stats/decimal.ts';
import { TripBook, type Trip } from '../../src/stats/round-trips.ts';
import { TripStats } from '../../src/stats/trip-stats.ts';

const T0 = Date.UTC(2026, 0, 5, 0, 0);
const min = (i: number): number => T0 + i * 60_000;

/** A fill of AAA (lot 1) written the way people read it: quantities in lots, prices and money as decimals. */
function fill(side: 'buy' | 'sell', qty: string, price: string, fee: string, realizedPnl: string, bar: number, position: string, symbol = 'AAA'): FillEvent {
  return {
    type: 'fill',
    orderId: `X-${bar}`,
    symbol,
    openTime: min(bar),
    side,
    qty: Number(qty),
    price: Number(toUnits(price)),
    fee: toUnits(fee),
    realizedPnl: toUnits(realizedPnl),
    cash: 0n,
    position: Number(position),
  };
}

/** Feeds bars 0..7 of AAA with fills at the given bars, the way the engine orders them (bar, then its fills). */
function replay(fills: ReadonlyArray<FillEvent & { bar?: number }>): { trips: Trip[]; book: TripBook } {
  const trips: Trip[] = [];
  let bars = 0;
  const book = new TripBook(
    (t) => trips.push(t),
    () => bars,
    // 1e-8 asset units per lot: AAA trades whole lots, BTC lots of 0.00001.
    (symbol) => (symbol === 'BTC' ? 1_000n : 100_000_000n),
  );
  for (let bar = 0; bar < 8; bar++) {
    bars++;
    for (const f of fills) if (f.openTime === min(bar)) book.fill(f, { orderType: 'market', by: 'strategy', slippage: 0n });
  }
  return { trips, book };
}

// The fixture, by hand (lot 1, prices in quote units):
//  bar 1  buy  10 @ 10, fee 0.01                         → trip 1 opens long 10
//  bar 3  sell 10 @ 12, fee 0.012, realized +20          → trip 1 closes: pnl 20 − 0.01 − 0.012 = 19.978, held 3 − 1 = 2 bars
//  bar 4  sell  5 @ 11, fee 0.0055                       → trip 2 opens short 5
//  bar 5  buy  10 @ 10, fee 0.01, realized +5 (flip)     → trip 2 closes with half the fee (5 of 10 lots): 0.005;
//                                                          pnl 5 − 0.0055 − 0.005 = 4.9895; trip 3 opens long 5 with the other 0.005
//  bar 6  sell  5 @ 9,  fee 0.0045, realized −5          → trip 3 closes: pnl −5 − 0.005 − 0.0045 = −5.0095, held 1 bar
const FIXTURE = [
  fill('buy', '10', '10', '0.01', '0', 1, '10'),
  fill('sell', '10', '12', '0.012', '20', 3, '0'),
  fill('sell', '5', '11', '0.0055', '0', 4, '-5'),
  fill('buy', '10', '10', '0.01', '5', 5, '5'),
  fill('sell', '5', '9', '0.0045', '-5', 6, '0'),
];

test('round trips at average cost: a flip closes one trip and opens the next, its fee split by quantity; PnL net of fees', () => {
  const { trips } = replay(FIXTURE);
  const E = 100_000_000n;
  assert.deepEqual(
    trips.map((t) => [t.side, t.entryTime, t.exitTime, t.entryPrice, t.exitPrice, t.qty, t.pnl, t.fees, t.barsHeld]),
    [
      ['long', min(1), min(3), 10n * E, 12n * E, 10n * E, 1_997_800_000n, 2_200_000n, 2],
      ['short', min(4), min(5), 11n * E, 10n * E, 5n * E, 498_950_000n, 1_050_000n, 1],
      ['long', min(5), min(6), 10n * E, 9n * E, 5n * E, -500_950_000n, 950_000n, 1],
    ],
  );
});

test('scaling in and out: entry and exit prices are quantity-weighted averages, qty is what was entered', () => {
  // buy 2 @ 10 and 2 @ 13 (avg entry 11.5), sell 1 @ 14 then 3 @ 12 (avg exit (14 + 36) / 4 = 12.5); no fees.
  // Realized (average cost 11.5): 1 × 2.5 + 3 × 0.5 = 4.
  const { trips, book } = replay([
    fill('buy', '2', '10', '0', '0', 0, '2'),
    fill('buy', '2', '13', '0', '0', 1, '4'),
    fill('sell', '1', '14', '0', '2.5', 2, '3'),
    fill('sell', '3', '12', '0', '1.5', 4, '0'),
  ]);
  assert.equal(trips.length, 1);
  assert.equal(book.closed, 1);
  const t = trips[0]!;
  assert.deepEqual([t.entryPrice, t.exitPrice, t.qty, t.pnl, t.barsHeld], [1_150_000_000n, 1_250_000_000n, 400_000_000n, 400_000_000n, 4]);
});

test('fills carry lots: a trip counts asset units by the lot step (150,000 lots of 0.00001 is 1.5)', () => {
  const { trips } = replay([fill('buy', '150000', '10', '0', '0', 0, '150000', 'BTC'), fill('sell', '150000', '12', '0', '3', 2, '0', 'BTC')]);
  assert.deepEqual(
    trips.map((t) => [t.symbol, t.qty, t.entryPrice, t.exitPrice, t.pnl]),
    [['BTC', 150_000_000n, 1_000_000_000n, 1_200_000_000n, 300_000_000n]],
  );
});

test('an open trip is valued at the broker mark: its realized so far − fees + unrealized', () => {
  const { trips, book } = replay([fill('buy', '3', '10', '0.03', '0', 2, '3'), fill('sell', '1', '11', '0.011', '1', 3, '2')]);
  assert.equal(trips.length, 0);
  // Realized 1 − fees 0.041 + unrealized (2 lots marked at 12 against a basis of 20: +4) = 4.959.
  const open = book.openTrips(['AAA'], () => ({ unrealized: 400_000_000n, price: 1_200_000_000n }));
  assert.equal(open.length, 1);
  assert.deepEqual([open[0]!.open, open[0]!.exitTime, open[0]!.exitPrice, open[0]!.pnl, open[0]!.barsHeld], [true, null, 1_200_000_000n, 495_900_000n, 5]);
});

test('trip statistics by hand: win rate, profit factor, averages and the largest loss', () => {
  const stats = new TripStats();
  for (const t of replay(FIXTURE).trips) stats.add(t);
  assert.deepEqual(stats.figures(), {
    roundTrips: 3,
    wins: 2,
    losses: 1,
    winRatePct: 66.6667, // 2 / 3
    profitFactor: 4.984, // (19.978 + 4.9895) / 5.0095 = 4.98403…
    netPnl: '19.958', // 19.978 + 4.9895 − 5.0095
    fees: '0.042', // 0.022 + 0.0105 + 0.0095
    avgWin: '12.48375', // 24.9675 / 2
    avgLoss: '-5.0095',
    largestWin: '19.978',
    largestLoss: '-5.0095',
    avgBarsHeld: 1.33, // (2 + 1 + 1) / 3
  });
});

test('no trips and no losses: the ratios that cannot be computed are null', () => {
  assert.deepEqual([new TripStats().figures().winRatePct, new TripStats().figures().profitFactor], [null, null]);
  const s = new TripStats();
  s.add(replay(FIXTURE).trips[0]!);
  assert.equal(s.figures().profitFactor, null);
  assert.equal(s.figures().avgLoss, null);
});

test("a trip names each order type of its entries and exits once, in the order they first filled, and sums its fills' slippage", () => {
  const trips: Trip[] = [];
  const book = new TripBook(
    (t) => trips.push(t),
    () => 0,
    () => 100_000_000n,
  );
  const cost = (orderType: string, slippage: bigint, by: 'strategy' | 'operator' = 'strategy') => ({ orderType, by, slippage });
  book.fill(fill('buy', '2', '10', '0', '0', 0, '2'), cost('limit', -3n));
  book.fill(fill('buy', '2', '10', '0', '0', 1, '4'), cost('market', 5n));
  book.fill(fill('sell', '1', '10', '0', '0', 2, '3'), cost('stop', 7n));
  book.fill(fill('sell', '1', '10', '0', '0', 3, '2'), cost('trailing_stop', 11n));
  book.fill(fill('sell', '1', '10', '0', '0', 4, '1'), cost('stop', 13n));
  assert.deepEqual(
    book.openTrips(['AAA'], () => ({ unrealized: 0n, price: 0n })).map((t) => [t.entryOrderType, t.exitOrderType, t.exitBy, t.slippage]),
    [['limit+market', 'stop+trailing_stop', 'strategy', 33n]],
  );
  book.fill(fill('sell', '1', '10', '0', '0', 5, '0'), cost('market', 17n, 'operator'));
  assert.deepEqual(
    trips.map((t) => [t.entryOrderType, t.exitOrderType, t.exitBy, t.slippage]),
    [['limit+market', 'stop+trailing_stop+market', 'strategy+operator', 50n]],
  );
});
