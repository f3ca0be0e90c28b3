import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bar } from '../../src/domain/types.ts';
import { barMessageId, barOf, barSubject, decodeBarMessage, encodeBarMessage, intervalSubjects } from '../../src/fleet/bar-message.ts';

const bar: Bar = {
  symbol: 'BTCUSDT',
  interval: '1m',
  openTime: 1_738_540_800_000,
  closeTime: 1_738_540_859_999,
  open: 10_123_456_000_000,
  high: 10_130_010_000_000,
  low: 10_120_000_000_001,
  close: 10_125_000_000_000,
  volume: 0.1 + 0.2,
  source: 'rest-backfill',
};

test('a bar goes through its message unchanged, to the last bit of every double', () => {
  const decoded = decodeBarMessage(encodeBarMessage(bar, 1_738_540_860_012, 1_738_540_860_020));
  assert.ok(decoded.ok);
  assert.deepEqual(barOf(decoded.message), bar);
  assert.equal(decoded.message.eventTime, 1_738_540_860_012);
  assert.equal(decoded.message.publishedAt, 1_738_540_860_020);
});

test('subjects and message ids name the interval, the symbol and the bar', () => {
  assert.equal(barSubject('1m', 'ETHUSDT'), 'tradeloop.bars.1m.ETHUSDT');
  assert.equal(intervalSubjects('5m'), 'tradeloop.bars.5m.>');
  assert.equal(barMessageId(bar), 'BTCUSDT:1m:1738540800000');
});

test('a message that cannot be a bar says which field is wrong', () => {
  const good = JSON.parse(encodeBarMessage(bar, 1, 2)) as Record<string, unknown>;
  const cases: [string, string][] = [
    ['{', 'not JSON'],
    ['[1]', 'not an object'],
    [JSON.stringify({ ...good, symbol: '' }), 'symbol missing'],
    [JSON.stringify({ ...good, interval: 3 }), 'interval missing'],
    [JSON.stringify({ ...good, close: 'x' }), 'close is not a finite number'],
    [JSON.stringify({ ...good, high: 1, low: 2 }), 'prices or times out of order'],
    [JSON.stringify({ ...good, origin: 'csv' }), 'origin is neither ws nor rest-backfill'],
  ];
  for (const [text, reason] of cases) assert.deepEqual(decodeBarMessage(text), { ok: false, reason }, text);
});
