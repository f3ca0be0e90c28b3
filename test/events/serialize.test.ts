import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeBar, serializeDecision, serializeEvent, serializeGeneric, serializeLatency } from '../../src/events/serialize.ts';
import { EVENT_SCHEMA, validateEventLine } from '../../src/events/schema.ts';
import type { BarEvent, DecisionEvent, TradeEvent } from '../../src/events/types.ts';

const bar: BarEvent = { type: 'bar', symbol: 'BTCUSDT', interval: '1m', openTime: 1_735_689_600_000, open: 9_409_890_000_000, high: 9_409_891_000_000, low: 9_404_947_000_000, close: 9_404_947_000_000, volume: 7.50148, source: 'csv' };
const decision: DecisionEvent = { type: 'decision', symbol: '这是测试币456', openTime: 1, action: 'buy', qty: '0.00123', intents: 1, position: '-3', equity: 10_000_012_345_678n };

test('the hand-written bar and decision templates write exactly what the schema-driven serializer writes', () => {
  assert.equal(serializeBar(7, bar), serializeGeneric(7, bar));
  assert.equal(serializeDecision(8, decision), serializeGeneric(8, decision));
  const latency = { type: 'latency', symbol: 'ETHUSDT', openTime: 1, source: 'rest-backfill', eventTime: 2, closeTime: 3, recvTime: 4, modelTime: 5, brokerTime: 6, networkMs: -1.5, clockOffsetMs: 0.25, queueMs: 0.001, sliceMs: 12.5, modelMs: 0.02, brokerMs: 0.03, totalMs: 14 } as const;
  assert.equal(serializeLatency(9, latency), serializeGeneric(9, latency));
  assert.deepEqual(JSON.parse(serializeBar(7, bar)), { seq: 7, ...bar, open: 94098.9, high: 94098.91, low: 94049.47, close: 94049.47 });
});

test('every event type serialises to a line the validator accepts; order kind is orderType, never type', () => {
  const samples: TradeEvent[] = [
    { type: 'run_start', runId: 'x', mode: 'static', source: 'csv', symbols: ['A'], interval: '1m', strategy: 's', params: { fast: '5' }, cash: '100', feeBps: 1, slippageBps: 0.5, maxPositionNotional: '50', maxGrossExposure: '100', lotSizes: { A: '1' }, inputs: [], warmup: 21 },
    bar, decision,
    { type: 'order', orderId: 'A-1-0', symbol: 'A', openTime: 1, side: 'buy', orderType: 'limit', qty: '1', limitPrice: '9.5' },
    { type: 'order', orderId: 'A-1-1', symbol: 'A', openTime: 1, side: 'sell', orderType: 'market', qty: '1' },
    { type: 'fill', orderId: 'A-1-0', symbol: 'A', openTime: 2, side: 'buy', qty: '1', price: '9.5', fee: '0.01', realizedPnl: '0', cash: '90.49', position: '1' },
    { type: 'cancel', orderId: 'A-1-0', symbol: 'A', openTime: 3, reason: 'insufficient_cash', detail: 'would fill but: costs 10' },
    { type: 'reject', symbol: 'A', openTime: 1, reason: 'trading_halted', orderId: 'A-1-2', side: 'buy', qty: '1', detail: 'halted by flag (flag)' },
    { type: 'skip', symbol: null, openTime: null, reason: 'malformed', origin: 'connection 1', message: 'not JSON: "{"' },
    { type: 'skip', symbol: 'A', openTime: 5, reason: 'duplicate', origin: 'A.csv', line: 9, message: 'dup' },
    { type: 'halt', reason: 'feed_stale', source: 'auto', severity: 'halted', detail: 'silent', state: 'HALTED', at: 5 },
    { type: 'resume', reason: 'feed_stale', source: 'auto', state: 'ACTIVE', at: 6 },
    { type: 'trading_state', from: 'ACTIVE', to: 'HALTED', halts: ['feed_stale'], source: 'auto', at: 5 },
    { type: 'feed', state: 'live', detail: 'ok', at: 7 },
    { type: 'alert', kind: 'latency', message: 'slow', at: 8 },
    { type: 'run_resume', segment: 2, afterSeq: 41, restored: { cycles: 40, cash: '100' } },
    { type: 'latency', symbol: 'A', openTime: 1, source: 'ws', eventTime: 2, closeTime: 3, recvTime: 4, modelTime: 5, brokerTime: 6, networkMs: 1.5, clockOffsetMs: -0.2, queueMs: 0.01, sliceMs: 0.5, modelMs: 0.02, brokerMs: 0.03, totalMs: 1.56 },
  ];
  const covered = new Set(samples.map((s) => s.type));
  for (const type of Object.keys(EVENT_SCHEMA)) if (type !== 'run_end') assert.ok(covered.has(type as TradeEvent['type']), `a sample for ${type}`);
  samples.forEach((e, i) => {
    const line = serializeEvent(i + 1, e);
    assert.deepEqual(validateEventLine(line), [], line);
    assert.equal(JSON.parse(line).type, e.type);
  });
  const order = JSON.parse(serializeEvent(1, samples[3]!));
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
