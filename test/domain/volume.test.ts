import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVolume, parseVolumeRange } from '../../src/domain/volume.ts';
import { klineRowToBar } from '../../src/feed/binance/rest-client.ts';
import { parseStreamMessage } from '../../src/feed/binance/kline-message.ts';

const NOT_VOLUMES = [
  '',
  ' ',
  '0x1F',
  '0X1f',
  '0b11',
  '0o7',
  '1_000',
  'Infinity',
  '-Infinity',
  'NaN',
  '1e999',
  '1e',
  '1e+',
  '.',
  '+',
  '-',
  '1.2.3',
  '12abc',
  '1,5',
  '\t5',
  '5\n',
  '１２',
];

test('volume is plain decimal text only: hex, binary, blanks, separators and infinities are not numbers', () => {
  assert.equal(parseVolume('12.5'), 12.5);
  assert.equal(parseVolume('0'), 0);
  assert.equal(parseVolume(' 2830211 '), 2_830_211);
  assert.equal(parseVolume('1e3'), 1000);
  assert.equal(parseVolume('1.5E-2'), 0.015);
  assert.equal(parseVolume('.5'), 0.5);
  assert.equal(parseVolume('5.'), 5);
  assert.equal(parseVolume('-441.751'), -441.751, 'the sign is kept so the caller can say "negative"');
  assert.equal(parseVolume('764.86520000'), 764.8652);
  for (const bad of NOT_VOLUMES) assert.ok(Number.isNaN(parseVolume(bad)), JSON.stringify(bad));
  assert.equal(parseVolumeRange('a,17.5,b', 2, 6), 17.5);
  assert.ok(Number.isNaN(parseVolumeRange('a,0x1F,b', 2, 6)));
});

test('the REST and WebSocket kline parsers refuse the same volumes', () => {
  const streams = new Map([['btcusdt@kline_1m', { symbol: 'BTCUSDT', interval: '1m' }]]);
  const message = (v: string): string =>
    JSON.stringify({
      stream: 'btcusdt@kline_1m',
      data: {
        e: 'kline',
        E: 60_001,
        s: 'BTCUSDT',
        k: { t: 0, T: 59_999, s: 'BTCUSDT', i: '1m', o: '1', h: '1', l: '1', c: '1', v, x: true },
      },
    });
  const row = (v: string): unknown[] => [0, '1', '1', '1', '1', v, 59_999];
  const good = klineRowToBar(row('12.5'), 'BTCUSDT', '1m');
  assert.equal(typeof good === 'string' ? good : good.volume, 12.5);
  const ok = parseStreamMessage(message('12.5'), streams);
  assert.equal(ok.kind === 'kline' ? ok.bar.volume : null, 12.5);
  for (const bad of [...NOT_VOLUMES, '-1']) {
    // A refused row is the reason it was refused (a string), never a bar.
    assert.equal(typeof klineRowToBar(row(bad), 'BTCUSDT', '1m'), 'string', `REST ${JSON.stringify(bad)}`);
    assert.equal(parseStreamMessage(message(bad), streams).kind, 'malformed', `WS ${JSON.stringify(bad)}`);
  }
});

test('a price with a huge exponent is malformed on the WebSocket and REST paths too, never a thrown RangeError', () => {
  const streams = new Map([['btcusdt@kline_1m', { symbol: 'BTCUSDT', interval: '1m' }]]);
  for (const price of ['1e2000000000', '1e50000000', '123456789']) {
    const text = JSON.stringify({
      stream: 'btcusdt@kline_1m',
      data: {
        e: 'kline',
        E: 60_001,
        s: 'BTCUSDT',
        k: { t: 0, T: 59_999, s: 'BTCUSDT', i: '1m', o: '1', h: price, l: '1', c: '1', v: '1', x: true },
      },
    });
    assert.equal(parseStreamMessage(text, streams).kind, 'malformed', price);
    assert.equal(typeof klineRowToBar([0, '1', price, '1', '1', '1', 59_999], 'BTCUSDT', '1m'), 'string', price);
  }
});
