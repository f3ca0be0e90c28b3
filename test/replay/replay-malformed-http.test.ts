import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.ts';
import type { ReplayLogEvent } from '../../src/replay/replay-log.ts';
import { dataDir, minuteBars, T0, TestClient, type DataDir } from './replay-helpers.ts';
import { rawRequest, upgradeRequest } from './raw-client.ts';

/** Any request, however malformed, gets an error answer or a close; the server keeps serving. */
describe('replay server: malformed HTTP', () => {
  let data: DataDir;
  let server: ReplayServer;
  const log: ReplayLogEvent[] = [];

  before(async () => {
    data = await dataDir({ BTCUSDT: minuteBars(T0, 200, 100) });
    server = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 6000, log: (e) => log.push(e) });
  });
  after(async () => {
    await server.close();
    await data.remove();
  });

  const stillServes = async (): Promise<void> => {
    const res = await fetch(`${server.restUrl}/api/v3/ping`);
    assert.equal(res.status, 200);
    const c = await TestClient.connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    await c.next((j) => j.e === 'kline');
    c.terminate();
  };

  /** A 4xx answer with a JSON body whose code is a number (Binance's shape). */
  const assertJsonError = (answer: Awaited<ReturnType<typeof rawRequest>>, status: number | RegExp, what: string): void => {
    if (typeof status === 'number') assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 120)}`);
    else assert.match(String(answer.status), status, `${what}: ${answer.text.slice(0, 120)}`);
    const body = answer.json as { code?: unknown; msg?: unknown } | undefined;
    assert.equal(typeof body?.code, 'number', `${what}: a JSON error with a code`);
    assert.equal(typeof body?.msg, 'string', `${what}: a JSON error with a msg`);
  };

  it('answers garbage bytes, a bad request line and a huge header with 4xx, then closes', async () => {
    const garbage = await rawRequest(server.port, Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10]));
    assertJsonError(garbage, 400, 'garbage');
    assert.match(garbage.text, /\r\nconnection: close\r\n/i, 'the socket is closed after the answer');
    assertJsonError(await rawRequest(server.port, 'GET\r\n\r\n'), 400, 'bad request line');
    assertJsonError(await rawRequest(server.port, 'GET / HTTP/9.9\r\nHost: x\r\n\r\n'), /^4\d\d$/, 'bad version');
    const huge = await rawRequest(server.port, `GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
    assertJsonError(huge, 431, 'huge header');
    await stillServes();
  });

  it('answers a URL that does not parse with 400, on REST and on upgrade', async () => {
    // An absolute-form target with a broken host made new URL() throw in the request handler.
    for (const target of ['http://[::1', 'http://a:b/api/v3/ping', 'http://%zz/']) {
      assertJsonError(await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`), 400, `REST ${target}`);
      const upgrade = await rawRequest(server.port, upgradeRequest(target));
      assert.equal(upgrade.status, 400, `upgrade ${target}: ${upgrade.text.slice(0, 80)}`);
    }
    await stillServes();
  });

  it('answers bad percent-encoding and bad parameters with Binance codes', async () => {
    const q = (query: string): string => `GET /api/v3/klines?${query} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const codeOf = async (query: string): Promise<number> => ((await rawRequest(server.port, q(query))).json as { code: number }).code;
    assert.equal(await codeOf('startTime=abc'), -1102, 'no symbol: mandatory parameter');
    assert.equal(await codeOf('symbol=BTCUSDT&interval=1m&startTime=abc'), -1100);
    assert.equal(await codeOf('symbol=BTCUSDT&interval=1m&endTime=%zz'), -1100);
    assert.equal(await codeOf('symbol=%E0%A4%A&interval=1m'), -1121);
    assert.equal(await codeOf('symbol=BTCUSDT&interval=%FF'), -1120);
    assert.equal(await codeOf('symbol=BTCUSDT&interval=1m&limit=1e3'), -1100);
    assertJsonError(await rawRequest(server.port, 'GET /api/%zz/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n'), 404, 'bad percent-encoding in the path');
    const upgrade = await rawRequest(server.port, upgradeRequest('/stream?streams=%E0%A4%A'));
    assert.equal(upgrade.status, 400);
    await stillServes();
  });

  it('answers an unknown path with 404 and a POST with a body with 405', async () => {
    assertJsonError(await rawRequest(server.port, 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n'), 404, 'unknown path');
    const post = await rawRequest(server.port, 'POST /api/v3/klines HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world');
    assertJsonError(post, 405, 'POST');
    const chunked = await rawRequest(server.port, 'PUT /api/v3/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    assertJsonError(chunked, 405, 'PUT');
    await stillServes();
  });

  it('answers bad upgrade requests with 4xx and never opens a connection for them', async () => {
    const before = server.stats.connectionsOpened;
    const cases: Array<[string, string, number | RegExp]> = [
      ['missing Sec-WebSocket-Key', upgradeRequest('/ws', { 'Sec-WebSocket-Key': null }), 400],
      ['malformed Sec-WebSocket-Key', upgradeRequest('/ws', { 'Sec-WebSocket-Key': 'short' }), 400],
      ['wrong version', upgradeRequest('/ws', { 'Sec-WebSocket-Version': '7' }), 400],
      ['missing version', upgradeRequest('/ws', { 'Sec-WebSocket-Version': null }), 400],
      ['not websocket', upgradeRequest('/ws', { Upgrade: 'h2c' }), 400],
      ['unknown path', upgradeRequest('/api/v3/klines'), 404],
      ['malformed stream', upgradeRequest('/ws/btcusdt'), 400],
      ['POST upgrade', upgradeRequest('/ws').replace(/^GET/, 'POST'), /^4\d\d$/],
    ];
    for (const [what, request, status] of cases) {
      const answer = await rawRequest(server.port, request);
      if (typeof status === 'number') assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 120)}`);
      else assert.match(String(answer.status), status, `${what}: ${answer.text.slice(0, 120)}`);
    }
    assert.equal(server.stats.connectionsOpened, before, 'no connection was opened');
    await stillServes();
  });

  it('logs what it refused, by kind', () => {
    const kinds = new Set(log.map((e) => e.kind));
    assert.ok(kinds.has('bad_request'), [...kinds].join(','));
    assert.ok(kinds.has('refused'), [...kinds].join(','));
  });
});
