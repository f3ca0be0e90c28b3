import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

const CLI = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

function tradeloop(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('SIGTERM shuts a realtime run down cleanly: sockets closed, events flushed, summary written, exit 0', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT', 'ETHUSDT']);
  const out = tempDirSync(t, 'tradeloop-sigterm-');
  const p = tradeloop(['run', '--source', 'realtime', '--ws-url', fake.wsUrl, '--rest-url', fake.restUrl, '--out', out], { FLAG_REALTIME: '1' });
  try {
    const conn = await fake.waitForConnections(1, 15_000);
    await until(() => p.out().includes('tradeloop realtime run'), 'start line', 15_000);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    fake.sendKline(bar('ETHUSDT', 0, 50), true);
    await until(() => readFileSync(join(out, 'events.ndjson'), 'utf8').split('"type":"decision"').length === 3, 'two decisions on disk');
    const closed = new Promise<number>((r) => conn.ws.on('close', (code) => r(code)));
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.err());
    assert.equal(await closed, 1000, 'a close frame, not a dropped socket');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.status, 'ok');
    assert.equal(summary.decisions, 2);
    const last = readFileSync(join(out, 'events.ndjson'), 'utf8').trim().split('\n').at(-1)!;
    assert.match(last, /"type":"run_end"/);
    assert.match(p.out(), /decisions\s+2/);
    // On loopback the exchange clock is ours: the offset estimate must be near zero, or every
    // network figure and latency alert would carry its error.
    const latency = readFileSync(join(out, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'latency');
    assert.equal(latency.length, 2);
    for (const l of latency) assert.ok(Math.abs(l.clockOffsetMs) < 5, `clock offset ${l.clockOffsetMs} ms`);
  } finally {
    p.child.kill('SIGKILL');
    await fake.close();
  }
});

test('an unknown symbol is refused by name at start (Binance -1121), exit 2', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  try {
    const p = tradeloop(
      ['run', '--source', 'realtime', '--symbols', 'BTCUSDT,BTCUSTD', '--ws-url', fake.wsUrl, '--rest-url', fake.restUrl, '--out', tempDirSync(t, 'tl-')],
      { FLAG_REALTIME: 'on' },
    );
    assert.equal(await p.exited, 2);
    assert.match(p.err(), /--symbols: BTCUSTD is not a symbol/);
    assert.equal(fake.connections.length, 0, 'no stream is opened for a bad symbol list');
  } finally {
    await fake.close();
  }
});

test('an unreachable REST server stops the start with exit 1 and says where it looked', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const url = fake.restUrl;
  await fake.close();
  const p = tradeloop(['run', '--source', 'realtime', '--ws-url', 'ws://127.0.0.1:9', '--rest-url', url, '--out', tempDirSync(t, 'tl-')], {
    FLAG_REALTIME: '1',
  });
  assert.equal(await p.exited, 1);
  assert.match(p.err(), new RegExp(`cannot reach the REST API at ${url.replace(/[.]/g, '\\.')}`));
});

test('SIGINT before the end of --minutes stops at once (the minutes timer does not keep the process)', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const out = tempDirSync(t, 'tradeloop-sigint-');
  const p = tradeloop(
    ['run', '--source', 'realtime', '--symbols', 'BTCUSDT', '--minutes', '5', '--ws-url', fake.wsUrl, '--rest-url', fake.restUrl, '--out', out],
    { FLAG_REALTIME: '1' },
  );
  try {
    await fake.waitForConnections(1, 15_000);
    await until(() => p.out().includes('tradeloop realtime run'), 'start line', 15_000);
    const sent = Date.now();
    p.child.kill('SIGINT');
    assert.equal(await p.exited, 0, p.err());
    assert.ok(Date.now() - sent < 5_000, `exited ${Date.now() - sent} ms after SIGINT`);
  } finally {
    p.child.kill('SIGKILL');
    await fake.close();
  }
});

test('--ws-url without --rest-url is refused: bars and backfill must come from the same place', async () => {
  const p = tradeloop(['run', '--source', 'realtime', '--ws-url', 'ws://127.0.0.1:9'], { FLAG_REALTIME: '1' });
  assert.equal(await p.exited, 2);
  assert.match(
    p.err(),
    /--ws-url ws:\/\/127\.0\.0\.1:9 needs its pair: pass --ws-url and --rest-url together \(a tradeloop replay-server serves both on one port: --rest-url http:\/\/127\.0\.0\.1:9\)/,
  );
});
