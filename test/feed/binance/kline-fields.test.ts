import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOnGrid, maxBarsIn } from '../../../src/domain/interval.ts';
import { parseStreamMessage, MAX_MESSAGE_CHARS } from '../../../src/feed/binance/kline-message.ts';
import { checkKline } from '../../../src/feed/binance/kline-fields.ts';

const names = { t: 't', T: 'T', o: 'o', h: 'h', l: 'l', c: 'c', v: 'v' };
const prices = { o: '1.0', h: '2.0', l: '0.5', c: '1.5', v: '3' };

test('the grid: day divisors from UTC midnight, weeks on Mondays, months on the 1st, 3d on whole days', () => {
  const monday = Date.UTC(2026, 0, 5);
  assert.equal(isOnGrid('1m', monday + 60_000), true);
  assert.equal(isOnGrid('1m', monday + 1), false);
  assert.equal(isOnGrid('1s', monday + 1_000), true);
  assert.equal(isOnGrid('4h', monday + 4 * 3_600_000), true);
  assert.equal(isOnGrid('4h', monday + 3_600_000), false);
  assert.equal(isOnGrid('1w', monday), true);
  assert.equal(isOnGrid('1w', monday + 86_400_000), false, 'a Tuesday');
  assert.equal(isOnGrid('1M', Date.UTC(2024, 1, 1)), true);
  assert.equal(isOnGrid('1M', Date.UTC(2024, 1, 2)), false);
  assert.equal(isOnGrid('3d', monday + 86_400_000), true);
  assert.equal(isOnGrid('3d', monday + 3_600_000), false);
  assert.equal(isOnGrid('1m', 1.5), false);
});

test('maxBarsIn bounds the bars of a window exactly for fixed intervals and by calendar months for 1M', () => {
  const t = Date.UTC(2026, 0, 5);
  assert.equal(maxBarsIn('1m', t, t + 60_000 - 1), 1);
  assert.equal(maxBarsIn('1m', t, t + 2500 * 60_000 - 1), 2500);
  assert.equal(maxBarsIn('1M', Date.UTC(2024, 0, 1), Date.UTC(2024, 11, 31)), 12);
  assert.equal(maxBarsIn('1m', t, t - 1), 0);
});

test('close time: the last ms of the bar, a calendar month for 1M', () => {
  const jan = Date.UTC(2024, 0, 1);
  assert.equal(checkKline('1M', { t: jan, T: Date.UTC(2024, 1, 1) - 1, ...prices }, names).ok, true);
  assert.equal(checkKline('1M', { t: jan, T: jan + 30 * 86_400_000 - 1, ...prices }, names).ok, false, '30 days is not January');
  assert.equal(checkKline('1m', { t: jan, T: jan + 59_999, ...prices }, names).ok, true);
  assert.equal(checkKline('1m', { t: jan, T: jan + 60_000, ...prices }, names).ok, false);
  assert.equal(checkKline('1m', { t: jan, T: jan + 59_999, ...prices, v: '0x10' }, names).ok, false, 'volume is a decimal');
});

test('a huge message is refused unparsed, and network text in messages is cut short', () => {
  const streams = new Map([['btcusdt@kline_1m', { symbol: 'BTCUSDT', interval: '1m' }]]);
  const huge = parseStreamMessage(`{"stream":"${'x'.repeat(MAX_MESSAGE_CHARS)}"}`, streams);
  assert.equal(huge.kind, 'malformed');
  const long = 'q'.repeat(10_000);
  const unknown = parseStreamMessage(JSON.stringify({ stream: long, data: { e: 'kline', E: 1, s: long, k: { t: 0 } } }), streams);
  assert.equal(unknown.kind, 'malformed');
  assert.ok(unknown.kind === 'malformed' && unknown.message.length < 200);
  assert.ok(unknown.kind === 'malformed' && unknown.symbol === null, 'a 10 000-character symbol is not echoed');
  const event = parseStreamMessage(JSON.stringify({ data: { e: long } }), streams);
  assert.ok(event.kind === 'malformed' && event.message.length < 200);
});

test('a kline whose payload names another symbol than its stream is skipped as malformed, with its reason', () => {
  const streams = new Map([['btcusdt@kline_1m', { symbol: 'BTCUSDT', interval: '1m' }]]);
  const t = Date.UTC(2026, 0, 5, 12, 0);
  const kline = (s: string, ks: string) =>
    JSON.stringify({
      stream: 'btcusdt@kline_1m',
      data: { e: 'kline', E: t + 60_000, s, k: { t, T: t + 59_999, s: ks, i: '1m', o: '0.1', h: '0.1', l: '0.1', c: '0.1', v: '10', x: true } },
    });
  const good = parseStreamMessage(kline('BTCUSDT', 'BTCUSDT'), streams);
  assert.equal(good.kind, 'kline');
  for (const [s, ks] of [
    ['DOGEUSDT', 'DOGEUSDT'],
    ['BTCUSDT', 'DOGEUSDT'],
    ['DOGEUSDT', 'BTCUSDT'],
  ]) {
    const m = parseStreamMessage(kline(s!, ks!), streams);
    assert.equal(m.kind, 'malformed', `${s}/${ks}`);
    assert.ok(m.kind === 'malformed' && /names "DOGEUSDT", not BTCUSDT, the symbol of its stream/.test(m.message), m.kind === 'malformed' ? m.message : '');
  }
});
