import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serializeBar,
  serializeDecision,
  serializeEvent,
  serializeFill,
  serializeGeneric,
  serializeLatency,
  serializeOrder,
} from '../../src/events/serialize.ts';
import { EVENT_SCHEMA, validateEventLine } from '../../src/events/schema.ts';
import type { BarEvent, DecisionEvent, FillEvent, TradeEvent } from '../../src/events/types.ts';
import { SAMPLE_EVENTS, SAMPLE_LOTS as lots } from '../helpers/event-samples.ts';

const bar: BarEvent = {
  type: 'bar',
  symbol: 'BTCUSDT',
  interval: '1m',
  openTime: 1_735_689_600_000,
  open: 9_409_890_000_000,
  high: 9_409_891_000_000,
  low: 9_404_947_000_000,
  close: 9_404_947_000_000,
  volume: 7.50148,
  source: 'csv',
};
const decision: DecisionEvent = {
  type: 'decision',
  symbol: '这是测试币456',
  openTime: 1,
  action: 'buy',
  qty: 123,
  intents: 1,
  position: -300_000,
  equity: 10_000_012_345_678n,
};

test('the hand-written bar and decision templates write exactly what the schema-driven serializer writes', () => {
  assert.equal(serializeBar(7, bar), serializeGeneric(7, bar, lots));
  assert.equal(serializeDecision(8, decision, lots), serializeGeneric(8, decision, lots));
  const latency = {
    type: 'latency',
    symbol: 'ETHUSDT',
    openTime: 1,
    source: 'rest-backfill',
    eventTime: 2,
    closeTime: 3,
    recvTime: 4,
    modelTime: 5,
    brokerTime: 6,
    networkMs: -1.5,
    clockOffsetMs: 0.25,
    queueMs: 0.001,
    sliceMs: 12.5,
    modelMs: 0.02,
    brokerMs: 0.03,
    totalMs: 14,
  } as const;
  assert.equal(serializeLatency(9, latency), serializeGeneric(9, latency, lots));
  assert.deepEqual(JSON.parse(serializeBar(7, bar)), { seq: 7, ...bar, open: 94098.9, high: 94098.91, low: 94049.47, close: 94049.47 });
  const orders = [
    { type: 'order', orderId: 'A-1-0', symbol: 'A', openTime: 1, side: 'buy', orderType: 'limit', qty: 1, limitPrice: 950_000_000 },
    { type: 'order', orderId: 'ü-1-1', symbol: '这是测试币456', openTime: -5, side: 'sell', orderType: 'market', qty: 100, sentBy: 'operator' },
    { type: 'order', orderId: 'A-1-2', symbol: 'A', openTime: 1, side: 'sell', orderType: 'stop', qty: 3, stopPrice: 9_812_345_678 },
    { type: 'order', orderId: 'A-1-3', symbol: 'A', openTime: 1, side: 'buy', orderType: 'stop_limit', qty: 3, limitPrice: 10_300_000_001, stopPrice: 1 },
    { type: 'order', orderId: 'A-1-4', symbol: 'A', openTime: 1, side: 'sell', orderType: 'trailing_stop', qty: 2, trailBps: 10_000 },
  ] as const;
  for (const o of orders) assert.equal(serializeOrder(3, o, lots), serializeGeneric(3, o, lots));
  // Time in force, post-only and reduce-only: the same bytes both ways, and a GTC order's line is the plain one.
  for (const o of SAMPLE_EVENTS.filter((e) => e.type === 'order')) assert.equal(serializeOrder(3, o, lots), serializeGeneric(3, o, lots));
  const terms = SAMPLE_EVENTS.find((e) => e.type === 'order' && e.postOnly === true)!;
  assert.match(serializeEvent(3, terms, lots), /"qty":1\.5,"limitPrice":94040,"timeInForce":"GTD","expireAfterBars":5,"postOnly":true\}$/);
  const reduce = SAMPLE_EVENTS.find((e) => e.type === 'order' && e.reduceOnly === true)!;
  assert.match(serializeEvent(3, reduce, lots), /"stopPrice":9,"timeInForce":"FOK","reduceOnly":true\}$/);
  const fills = [
    {
      type: 'fill',
      orderId: 'A-1-0',
      symbol: 'A',
      openTime: 2,
      side: 'buy',
      qty: 1,
      price: 950_000_000,
      fee: 1_000_000n,
      realizedPnl: 0n,
      cash: 9_049_000_000n,
      position: 1,
    },
    {
      type: 'fill',
      orderId: 'A-1-op1',
      symbol: 'A',
      openTime: 2,
      side: 'sell',
      qty: -1,
      price: 950_000_000,
      fee: 0n,
      realizedPnl: -150_000_000n,
      cash: -300_000_000n,
      position: 0,
      priceSource: 'last_update',
      priceTime: 17,
    },
  ] as const;
  for (const f of fills) assert.equal(serializeFill(4, f, lots), serializeGeneric(4, f, lots));
  // A partial fill: remaining after position, in asset units like qty; a complete fill writes none.
  const partial = SAMPLE_EVENTS.find((e): e is FillEvent => e.type === 'fill' && e.remaining !== undefined)!;
  assert.equal(serializeFill(4, partial, lots), serializeGeneric(4, partial, lots));
  assert.match(serializeFill(4, partial, lots), /"qty":0\.03,.*"position":0\.03,"remaining":1\.47\}$/);
  assert.doesNotMatch(serializeFill(4, fills[0], lots), /remaining/);
});

test('events carry integers and the serializer writes their text once: lots in asset units by the lot step, ticks and money as exact decimals', () => {
  const fill = {
    type: 'fill',
    orderId: 'B-1-0',
    symbol: 'BTCUSDT',
    openTime: 2,
    side: 'sell',
    qty: 1_234,
    price: 9_409_890_000_001,
    fee: 12_345_678_901_234_567_890n,
    realizedPnl: -1n,
    cash: 100_000_000n,
    position: -120_000,
  } as const;
  assert.equal(
    serializeEvent(5, fill, lots),
    '{"seq":5,"type":"fill","orderId":"B-1-0","symbol":"BTCUSDT","openTime":2,"side":"sell","qty":0.01234,"price":94098.90000001,"fee":123456789012.3456789,"realizedPnl":-0.00000001,"cash":1,"position":-1.2}',
  );
  assert.equal(
    serializeEvent(6, { type: 'order', orderId: 'B-1-1', symbol: 'BTCUSDT', openTime: 2, side: 'buy', orderType: 'limit', qty: 100_000, limitPrice: 1 }, lots),
    '{"seq":6,"type":"order","orderId":"B-1-1","symbol":"BTCUSDT","openTime":2,"side":"buy","orderType":"limit","qty":1,"limitPrice":0.00000001}',
  );
  // Stop orders: the prices in ticks as exact decimals, the trail as the whole bps it is.
  const order = { type: 'order', symbol: 'BTCUSDT', openTime: 2, qty: 100_000 } as const;
  assert.equal(
    serializeEvent(8, { ...order, orderId: 'B-1-2', side: 'sell', orderType: 'stop', stopPrice: 9_812_345_678 }, lots),
    '{"seq":8,"type":"order","orderId":"B-1-2","symbol":"BTCUSDT","openTime":2,"side":"sell","orderType":"stop","qty":1,"stopPrice":98.12345678}',
  );
  assert.equal(
    serializeEvent(9, { ...order, orderId: 'B-1-3', side: 'buy', orderType: 'stop_limit', limitPrice: 10_300_000_000, stopPrice: 10_250_000_000 }, lots),
    '{"seq":9,"type":"order","orderId":"B-1-3","symbol":"BTCUSDT","openTime":2,"side":"buy","orderType":"stop_limit","qty":1,"limitPrice":103,"stopPrice":102.5}',
  );
  assert.equal(
    serializeEvent(10, { ...order, orderId: 'B-1-4', side: 'sell', orderType: 'trailing_stop', trailBps: 250 }, lots),
    '{"seq":10,"type":"order","orderId":"B-1-4","symbol":"BTCUSDT","openTime":2,"side":"sell","orderType":"trailing_stop","qty":1,"trailBps":250}',
  );
  // A refused quantity that is no whole number of lots is written as the strategy gave it (in lots).
  const reject = { type: 'reject', symbol: 'BTCUSDT', openTime: 2, reason: 'invalid_qty', side: 'buy', detail: 'x' } as const;
  assert.match(serializeEvent(7, { ...reject, qty: 2.5 }, lots), /"qty":2\.5,/);
  assert.match(serializeEvent(7, { ...reject, qty: 250_000 }, lots), /"qty":2\.5,/);
  assert.throws(
    () => serializeEvent(8, { ...fill, symbol: 'ETHUSDT' }, lots),
    /no lot step for "ETHUSDT"/,
    'a symbol without a lot step is a bug, not a guess',
  );
});

test('every event type serialises to a line the validator accepts; order kind is orderType, never type', () => {
  const samples = SAMPLE_EVENTS;
  const covered = new Set(samples.map((s) => s.type));
  for (const type of Object.keys(EVENT_SCHEMA)) if (type !== 'run_end') assert.ok(covered.has(type as TradeEvent['type']), `a sample for ${type}`);
  samples.forEach((e, i) => {
    const line = serializeEvent(i + 1, e, lots);
    assert.deepEqual(validateEventLine(line), [], line);
    assert.equal(JSON.parse(line).type, e.type);
  });
  const order = JSON.parse(serializeEvent(1, samples.find((e) => e.type === 'order')!, lots));
  assert.equal(order.type, 'order');
  assert.equal(order.orderType, 'limit');
});

test('the validator names what is wrong', () => {
  assert.match(validateEventLine('{"seq":1,"type":"bar"}').join(), /bar\.symbol: expected str/);
  assert.match(validateEventLine('{"seq":1,"type":"nope"}').join(), /unknown type/);
  assert.match(validateEventLine('{"seq":0,"type":"resume","reason":"gap","source":"auto"}').join(), /seq/);
  assert.match(validateEventLine('{"seq":1,"type":"resume","reason":"gap","source":"robot"}').join(), /resume\.source/);
  assert.match(validateEventLine('{"seq":1,"type":"resume","reason":"gap","source":"auto","extra":1}').join(), /unknown field extra/);
});
