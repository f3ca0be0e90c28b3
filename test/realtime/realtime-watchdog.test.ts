/**
 * A strategy whose onBar never returns, in a child process (it blocks the thread that would handle
 * signals): the cycle watchdog ends the process with exit status 140, naming the strategy, the
 * symbol and the bar, and events.ndjson keeps every cycle decided before the stuck one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const HANG = join(ROOT, 'test', 'fixtures', 'strategies', 'hang-on-bar.ts');

test('a stuck cycle ends the process (exit 140) with the strategy, symbol and bar named; the cycles before it are kept', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const out = tempDirSync(t, 'tl-watchdog-');
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'src', 'cli', 'main.ts'),
      'run',
      '--source',
      'realtime',
      '--symbols',
      'BTCUSDT',
      '--ws-url',
      fake.wsUrl,
      '--rest-url',
      fake.restUrl,
      '--out',
      out,
      '--quiet',
      '--strategy',
      HANG,
      '--param',
      'at=3',
      '--cycle-timeout',
      '1',
      '--stale-after',
      '60',
      '--stale-alert-after',
      '120',
      // About the watchdog: the cycles before the stuck one fill on their own bar.
      '--fill-model',
      'close',
    ],
    { env: { ...process.env, FLAG_REALTIME: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  try {
    const conn = await fake.waitForConnections(1, 20_000);
    for (const m of [0, 1, 2, 3]) fake.sendKline(bar('BTCUSDT', m, 100 + m), true, Date.now(), conn);
    // Stuck on minute 2 (the third decision): SIGTERM is not even heard now.
    await until(() => stderr.includes('cycle watchdog') || child.exitCode !== null || child.signalCode !== null, 'the watchdog', 20_000).catch(() => {});
    child.kill('SIGTERM');
    const { signal } = await exited;
    assert.equal(signal, 'SIGUSR2', `ended by the watchdog: ${stderr}`);
    assert.match(stderr, /strategy hang-on-bar has not returned from BTCUSDT bar 2026-01-05T00:02:00\.000Z/);
    assert.match(stderr, /exit status 140/);
    const events = readFileSync(join(out, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; openTime?: number });
    const decided = events.filter((e) => e.type === 'decision').map((e) => (e.openTime! - Date.UTC(2026, 0, 5)) / 60_000);
    assert.deepEqual(decided, [0, 1], 'every cycle before the stuck one is on disk');
    assert.equal(events.filter((e) => e.type === 'fill').length, 2);
    // A stub summary says why the run ended, instead of no summary and a hidden reservation.
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { status: string; verdict: string; stub: string };
    assert.equal(summary.status, 'error');
    assert.match(summary.verdict, /^error: cycle watchdog: strategy hang-on-bar has not returned/);
    assert.match(summary.stub, /trades\.csv and equity\.csv stop short/);
    assert.ok(!existsSync(join(out, '.summary.json.reserved')), 'the reservation became the stub');
    assert.match(stderr, /a stub summary\.json says so/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await fake.close();
  }
});
