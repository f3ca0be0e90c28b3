import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl, secretScrubber, urlSecrets } from '../../src/config/redact-url.ts';
import { combinedUrl } from '../../src/feed/binance/stream-names.ts';
import { joinUrl, restRequest } from '../../src/feed/binance/endpoint.ts';

test('redactUrl hides userinfo, query values other than our own market-data parameters, and the fragment', () => {
  assert.equal(redactUrl('wss://user:pa%40ss@host:9443/ws?token=abc&key=def'), 'wss://***@host:9443/ws?token=***&key=***');
  assert.equal(
    redactUrl('https://host/api/v3/klines?token=t0k&symbol=BTCUSDT&startTime=1&limit=1000'),
    'https://host/api/v3/klines?token=***&symbol=BTCUSDT&startTime=1&limit=1000',
  );
  assert.equal(redactUrl('wss://stream.binance.com:9443'), 'wss://stream.binance.com:9443', 'nothing to hide: unchanged');
  assert.equal(redactUrl('ws://h/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m'), 'ws://h/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m');
  assert.equal(redactUrl('http://h?bare-token#frag'), 'http://h?***#***');
  assert.equal(redactUrl('not a url user:pw@x?k=v'), '***@x?k=***', 'no scheme: whatever precedes an @ is hidden too');
  assert.equal(redactUrl('ws://a:b@c@host/x'), 'ws://***@host/x', 'a password holding @');
});

test('urlSecrets and the scrubber remove raw and decoded secrets from any text', () => {
  const url = 'wss://alice:pa%40ss-word@host?token=tok%2Fen-1&x=ab';
  assert.deepEqual(
    new Set(urlSecrets(url)),
    new Set(['alice:pa%40ss-word', 'alice:pa@ss-word', 'alice', 'pa%40ss-word', 'pa@ss-word', 'tok%2Fen-1', 'tok/en-1']),
  );
  const scrub = secretScrubber([url]);
  assert.equal(scrub('connect failed for alice with pa@ss-word, token tok/en-1'), 'connect failed for *** with ***, token ***');
});

test('a PostgreSQL URL: its user name is no secret (a role that does not exist must be named), its password is', () => {
  const scrub = secretScrubber(['postgres://alice:s3cret-pw@127.0.0.1:5432/tl?password=other-pw'], { userIsName: true });
  assert.equal(scrub('role "alice" does not exist; password s3cret-pw or other-pw'), 'role "alice" does not exist; password *** or ***');
  const bare = secretScrubber(['postgres://alice@127.0.0.1/tl'], { userIsName: true });
  assert.equal(bare('role "alice" does not exist'), 'role "alice" does not exist');
  // Elsewhere a bare userinfo may be a token (nats://TOKEN@host): hidden.
  assert.equal(secretScrubber(['nats://s3cret-token@127.0.0.1:4222'])('auth s3cret-token refused'), 'auth *** refused');
});

test('request URLs keep the base URL query (a token) and move credentials into a header for REST', () => {
  assert.equal(combinedUrl('wss://x:9443', ['a@kline_1m']), 'wss://x:9443/stream?streams=a@kline_1m');
  assert.equal(combinedUrl('wss://u:p@x:9443/?token=t', ['a@kline_1m', 'b@kline_1m']), 'wss://u:p@x:9443/stream?token=t&streams=a@kline_1m/b@kline_1m');
  assert.equal(joinUrl('http://x?token=t', '/api/v3/time', ''), 'http://x/api/v3/time?token=t');
  const r = restRequest('http://us%3Aer:p%40ss@x/api/v3/time?token=t');
  assert.equal(r.url, 'http://x/api/v3/time?token=t');
  assert.equal(r.headers.authorization, `Basic ${Buffer.from('us:er:p@ss').toString('base64')}`);
  assert.deepEqual(restRequest('http://x/api').headers, {});
});
