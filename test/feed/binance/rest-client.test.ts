/**
 * The REST client against a loopback server that answers wrongly on purpose: every way a klines
 * answer can be wrong is refused as `invalid_answer`, in a bounded number of requests and bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { bar, FakeBinance, restRow } from '../../helpers/fake-binance.ts';
import { MAX_BODY_BYTES, RestClient } from '../../../src/feed/binance/rest-client.ts';
import { nestingDepth, RETRY_AFTER_DEFAULT_MS, RETRY_AFTER_MAX_MS, retryAfterMs } from '../../../src/feed/binance/rest-http.ts';

const BASE = Date.UTC(2026, 0, 5);
const MIN = 60_000;

async function withFake(minutes: number, fn: (fake: FakeBinance, rest: RestClient) => Promise<void>): Promise<void> {
  const fake = await FakeBinance.start(['BTCUSDT']);
  for (let m = 0; m < minutes; m++) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', m, 100 + (m % 5)));
  try {
    await fn(fake, new RestClient(fake.restUrl, 5_000));
  } finally {
    await fake.close();
  }
}

const window = (fromMin: number, toMin: number) => ({ symbol: 'BTCUSDT', interval: '1m', startTime: BASE + fromMin * MIN, endTime: BASE + toMin * MIN - 1 });

function answer(res: ServerResponse, body: unknown, status = 200): true {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return true;
}

test('an honest server: a window of 2500 bars comes in 3 pages, in order, each asked from the last', async () => {
  await withFake(3000, async (fake, rest) => {
    const r = await rest.klines(window(100, 2600), Infinity);
    assert.ok(r.ok);
    assert.equal(r.value.length, 2500);
    assert.equal(r.value[0]!.openTime, BASE + 100 * MIN);
    assert.ok(r.value.every((b, i) => i === 0 || b.openTime === r.value[i - 1]!.openTime + MIN));
    assert.deepEqual(
      fake.restRequests.map((u) => (Number(u.searchParams.get('startTime')) - BASE) / MIN),
      [100, 1100, 2100],
    );
  });
});

test('a server that ignores startTime (always the newest 1000) fails the backfill at once, not in a loop', async () => {
  await withFake(3000, async (fake, rest) => {
    let served = 0;
    fake.onKlines = (_url, res) => {
      // A guard for the test itself: the old client looped on this answer thousands of times.
      if (++served > 50) return answer(res, { code: -1000, msg: 'enough' }, 500);
      return answer(res, fake.restBars.get('BTCUSDT')!.slice(-1000).map(restRow));
    };
    const r = await rest.klines(window(100, 2600), Infinity);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.failure.kind, 'invalid_answer');
    assert.match(!r.ok ? r.failure.message : '', /row \d+/);
    assert.equal(served, 1);
  });
});

test('a server that ignores limit (5000 rows for 1000) is refused on the first page', async () => {
  await withFake(6000, async (fake, rest) => {
    fake.onKlines = (url, res) => {
      const start = Number(url.searchParams.get('startTime'));
      return answer(
        res,
        fake.restBars
          .get('BTCUSDT')!
          .filter((b) => b.openTime >= start)
          .slice(0, 5000)
          .map(restRow),
      );
    };
    const r = await rest.klines(window(0, 5500), Infinity);
    assert.equal(!r.ok && r.failure.kind, 'invalid_answer');
    assert.equal(fake.restRequests.length, 1);
  });
});

test('every bad row is refused, naming the row: outside the window, off the grid, wrong close time, not increasing, bad price', async () => {
  const cases: Array<[string, (rows: unknown[][]) => unknown[][]]> = [
    ['after endTime', (rows) => [...rows.slice(0, -1), restRow(bar('BTCUSDT', 50, 100))]],
    ['before startTime', (rows) => [restRow(bar('BTCUSDT', 5, 100)), ...rows.slice(1)]],
    ['off the grid', (rows) => rows.map((r, i) => (i === 3 ? [Number(r[0]) + 30_000, ...r.slice(1, 6), Number(r[0]) + 30_000 + 59_999, ...r.slice(7)] : r))],
    ['close time not openTime + interval - 1', (rows) => rows.map((r, i) => (i === 2 ? [...r.slice(0, 6), Number(r[0]) + 120_000 - 1, ...r.slice(7)] : r))],
    ['a repeated row', (rows) => [...rows.slice(0, 4), rows[3]!, ...rows.slice(4)]],
    ['a decreasing row', (rows) => [rows[1]!, rows[0]!, ...rows.slice(2)]],
    ['a non-numeric price', (rows) => rows.map((r, i) => (i === 1 ? [r[0], 'abc', ...r.slice(2)] : r))],
    ['high below low', (rows) => rows.map((r, i) => (i === 1 ? [r[0], r[1], '1.00', '500.00', ...r.slice(4)] : r))],
    ['an empty volume', (rows) => rows.map((r, i) => (i === 1 ? [...r.slice(0, 5), '', ...r.slice(6)] : r))],
    ['a short row', (rows) => [...rows.slice(0, 2), [rows[2]![0], '1']]],
  ];
  for (const [what, mutate] of cases) {
    await withFake(60, async (fake, rest) => {
      fake.onKlines = (_url, res, honest) => answer(res, mutate(honest));
      const r = await rest.klines(window(10, 20), Infinity);
      assert.equal(r.ok, false, what);
      assert.equal(!r.ok && r.failure.kind, 'invalid_answer', what);
      assert.match(!r.ok ? r.failure.message : '', /row \d/, what);
    });
  }
});

test('an endless body is cut at the size cap: the download stops, memory is not spent on it', async () => {
  await withFake(10, async (fake, rest) => {
    let written = 0;
    let closed = false;
    fake.onKlines = (_url, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.write('[');
      const pump = (): void => {
        // Bounded for the test's own sake: 64 MB if the client never stops reading.
        while (!closed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (closed = true));
      pump();
      return true;
    };
    const r = await rest.klines(window(0, 5), Infinity);
    assert.equal(!r.ok && r.failure.kind, 'invalid_answer');
    // What the server managed to write: the cap plus what socket buffers hold, far from 64 MB.
    assert.ok(written < MAX_BODY_BYTES + 16 * 1024 * 1024, `${written} bytes written`);
  });
});

test('a Content-Length past the cap is refused before the body is read', async () => {
  await withFake(10, async (fake, rest) => {
    fake.onKlines = (_url, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES * 10) });
      res.write('[');
      return true;
    };
    const r = await rest.klines(window(0, 5), Infinity);
    assert.equal(!r.ok && r.failure.kind, 'invalid_answer');
  });
});

test('Retry-After is read as seconds and bounded to [1 s, 5 min]; garbage or a date gets the default', async () => {
  assert.equal(retryAfterMs('7'), 7_000);
  assert.equal(retryAfterMs('0'), 1_000);
  assert.equal(retryAfterMs('100000000000'), RETRY_AFTER_MAX_MS);
  assert.equal(retryAfterMs('1e12'), RETRY_AFTER_DEFAULT_MS);
  assert.equal(retryAfterMs('-5'), RETRY_AFTER_DEFAULT_MS);
  assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT'), RETRY_AFTER_DEFAULT_MS);
  assert.equal(retryAfterMs(null), RETRY_AFTER_DEFAULT_MS);
  await withFake(10, async (fake, rest) => {
    fake.rateLimitKlines = 1;
    fake.retryAfterSeconds = 10 ** 12;
    const r = await rest.klines(window(0, 5), Infinity);
    assert.equal(!r.ok && r.failure.kind, 'rate_limited');
    assert.equal(!r.ok && r.failure.kind === 'rate_limited' && r.failure.retryAfterMs, RETRY_AFTER_MAX_MS);
  });
});

test('serverTime: a missing, non-integer or non-positive serverTime is an invalid answer', async () => {
  await withFake(0, async (fake, rest) => {
    assert.ok((await rest.serverTime()).ok, 'the honest answer is fine');
    for (const body of [{}, { serverTime: 'soon' }, { serverTime: -1 }, { serverTime: 1e300 }, []]) {
      fake.onTime = () => body;
      const r = await rest.serverTime();
      assert.equal(!r.ok && r.failure.kind, 'invalid_answer', JSON.stringify(body));
    }
  });
});

test('a megabyte of nested brackets is refused before JSON.parse builds it; brackets inside strings do not count', async () => {
  assert.equal(nestingDepth('[[1,"[[[[[[[[[[[["],{"a":[2]}]'), 3);
  await withFake(10, async (fake, rest) => {
    fake.onKlines = (_url, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('['.repeat(500_000) + ']'.repeat(500_000));
      return true;
    };
    const r = await rest.klines(window(0, 5), Infinity);
    assert.equal(!r.ok && r.failure.kind, 'invalid_answer');
    assert.match(!r.ok ? r.failure.message : '', /nests deeper than 8 levels/);
  });
});
