/**
 * Units as the packed records the journal's writer thread is handed: read back, every unit is the
 * one packed (its kind, events with their seqs, provenance and command), whatever travelled as
 * numbers and whatever as itself; a unit still open when a batch is taken goes whole in the next.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TradeEvent } from '../../src/events/types.ts';
import type { JournalUnit } from '../../src/journal/journal.ts';
import { PackedUnits, type UnitBatch, UnitPacker } from '../../src/journal/unit-batch.ts';
import { SAMPLE_EVENTS } from '../helpers/event-samples.ts';

const BAR = SAMPLE_EVENTS.find((e) => e.type === 'bar') as Extract<TradeEvent, { type: 'bar' }>;
const DECISION = SAMPLE_EVENTS.find((e) => e.type === 'decision') as Extract<TradeEvent, { type: 'decision' }>;
const FILL = SAMPLE_EVENTS.find((e) => e.type === 'fill')!;

/** Reads batches in order, as the writer does: each adds its strings to the table first. */
function reader(): (batch: UnitBatch) => JournalUnit[] {
  const strings: string[] = [];
  return (batch) => {
    strings.push(...batch.strings);
    const p = new PackedUnits(batch, strings);
    const out: JournalUnit[] = [];
    while (p.nextUnit()) out.push(p.unit());
    return out;
  };
}

test('every unit reads back as it was packed: numbers, objects, provenance, commands', () => {
  const units: JournalUnit[] = [
    {
      kind: 'cycle',
      events: [
        { seq: 1, event: BAR },
        { seq: 2, event: FILL },
        { seq: 3, event: { ...DECISION, symbol: BAR.symbol, openTime: BAR.openTime, equity: -(2n ** 63n) } },
      ],
      provenance: { file: 'BTCUSDT.csv', line: 2 },
    },
    // A bar whose fields are not all numbers, and a decision too large for the columns: they travel as themselves.
    {
      kind: 'cycle',
      events: [
        { seq: 4, event: { ...BAR, volume: '7.5' as unknown as number } },
        { seq: 5, event: { ...DECISION, equity: 2n ** 64n } },
      ],
      provenance: { newestOpenTime: 1_735_689_900_000 },
    },
    { kind: 'outside', events: [{ seq: 6, event: { ...BAR, open: -0, volume: Number.NaN, symbol: '这是测试币456' } }] },
    {
      kind: 'command',
      events: [{ seq: 8, event: FILL }],
      command: { command: { kind: 'flatten', symbols: ['A'] }, op: 3, prices: { A: { price: 948_000_000, source: 'last_update', time: 1 } } },
    },
  ];
  const packer = new UnitPacker(2); // small: the arrays grow as they fill
  for (const u of units) packer.add(u);
  const back = reader()(packer.take());
  assert.deepEqual(back, units);
  assert.ok(Object.is((back[2]!.events[0]!.event as { open: number }).open, -0), 'a negative zero stays one');
});

test('a unit open when the batch is taken goes whole in the next, its strings and objects with it', () => {
  const packer = new UnitPacker(4);
  const read = reader();
  packer.write(1, BAR);
  packer.write(2, { ...FILL, orderId: 'first' });
  packer.write(3, DECISION);
  packer.endUnit('cycle', { file: 'A.csv', line: 1 }, null);
  packer.write(4, { ...BAR, symbol: 'ETHUSDT' });
  packer.write(5, { ...FILL, orderId: 'open' });
  packer.write(6, { ...DECISION, equity: 7n });
  assert.equal(packer.unitOpen, true);
  const first = read(packer.take());
  assert.deepEqual(
    first.map((u) => u.events.map((e) => e.seq)),
    [[1, 2, 3]],
  );
  assert.equal(packer.pending, false, 'nothing ended since');
  packer.write(7, { ...FILL, orderId: 'later' });
  packer.endUnit('outside', null, null);
  const second = read(packer.take());
  assert.deepEqual(second, [
    {
      kind: 'outside',
      events: [
        { seq: 4, event: { ...BAR, symbol: 'ETHUSDT' } },
        { seq: 5, event: { ...FILL, orderId: 'open' } },
        { seq: 6, event: { ...DECISION, equity: 7n } },
        { seq: 7, event: { ...FILL, orderId: 'later' } },
      ],
    },
  ]);
});

/** A market order and a complete fill as the engine emits them (fields in its order). */
const MARKET = { type: 'order', orderId: 'BTCUSDT-60000-0', symbol: 'BTCUSDT', openTime: 60_000, side: 'buy', orderType: 'market', qty: 6 } as const;
const COMPLETE = {
  type: 'fill',
  orderId: 'BTCUSDT-60000-0',
  symbol: 'BTCUSDT',
  openTime: 120_000,
  side: 'buy',
  qty: 6,
  price: 9_404_000_000_000,
  fee: 28_212_000n,
  liquidity: 'taker',
  realizedPnl: -(2n ** 63n),
  cash: 2n ** 63n - 1n,
  position: 6,
} as const;

test('a plain market order and a complete fill travel as numbers (only their ids as text) and read back field for field, in order', () => {
  const packer = new UnitPacker(4);
  packer.write(1, BAR);
  packer.write(2, MARKET);
  packer.write(3, COMPLETE);
  packer.write(4, { ...COMPLETE, side: 'sell', orderId: 'ETHUSDT-60000-1', symbol: 'ETHUSDT', liquidity: 'maker', fee: 0n, position: -3 });
  packer.endUnit('cycle', null, null);
  const batch = packer.take();
  // Cloned as objects to the writer thread, these were most of what posting a batch cost.
  assert.deepEqual(batch.others, ['BTCUSDT-60000-0', 'BTCUSDT-60000-0', 'ETHUSDT-60000-1']);
  const [unit] = reader()(batch);
  const events = unit!.events.map((e) => e.event);
  assert.deepEqual(events.slice(1), [
    MARKET,
    COMPLETE,
    { ...COMPLETE, side: 'sell', orderId: 'ETHUSDT-60000-1', symbol: 'ETHUSDT', liquidity: 'maker', fee: 0n, position: -3 },
  ]);
  assert.deepEqual(Object.keys(events[1]!), Object.keys(MARKET));
  assert.deepEqual(Object.keys(events[2]!), Object.keys(COMPLETE));
});

test('an order or fill with any other field, or money past 64 bits, travels as itself: nothing is dropped', () => {
  const odd: TradeEvent[] = [
    { ...MARKET, sentBy: 'operator' },
    { ...MARKET, timeInForce: 'IOC' },
    { ...MARKET, orderType: 'limit', limitPrice: 1 } as TradeEvent,
    { ...COMPLETE, remaining: 3 },
    { ...COMPLETE, priceSource: 'last_update', priceTime: 5 },
    { ...COMPLETE, cash: 2n ** 63n },
    { ...COMPLETE, liquidity: undefined } as unknown as TradeEvent,
  ];
  const packer = new UnitPacker(2);
  for (const [i, e] of odd.entries()) packer.write(i + 1, e);
  packer.endUnit('outside', null, null);
  const batch = packer.take();
  assert.deepEqual(batch.others, odd);
  assert.deepEqual(
    reader()(batch)[0]!.events.map((e) => e.event),
    odd,
  );
});

test('an order and a fill in the unit still open when a batch is taken keep their ids and money in the next', () => {
  const packer = new UnitPacker(2);
  const read = reader();
  packer.write(1, { ...MARKET, orderId: 'done' });
  packer.write(2, { ...COMPLETE, orderId: 'done', cash: 5n });
  packer.endUnit('cycle', null, null);
  packer.write(3, { ...MARKET, orderId: 'open' });
  packer.write(4, { ...COMPLETE, orderId: 'open', fee: 1n, realizedPnl: 2n, cash: 3n });
  packer.write(5, { ...DECISION, equity: 9n });
  read(packer.take());
  packer.endUnit('cycle', null, null);
  assert.deepEqual(read(packer.take())[0]!.events, [
    { seq: 3, event: { ...MARKET, orderId: 'open' } },
    { seq: 4, event: { ...COMPLETE, orderId: 'open', fee: 1n, realizedPnl: 2n, cash: 3n } },
    { seq: 5, event: { ...DECISION, equity: 9n } },
  ]);
});

test("a packer made with room for one record still keeps all three of a fill's money fields", () => {
  const packer = new UnitPacker(1);
  packer.write(1, { ...COMPLETE, fee: 1n, realizedPnl: 2n, cash: 3n });
  packer.endUnit('cycle', null, null);
  assert.deepEqual(reader()(packer.take())[0]!.events, [{ seq: 1, event: { ...COMPLETE, fee: 1n, realizedPnl: 2n, cash: 3n } }]);
});
