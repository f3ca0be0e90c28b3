/**
 * A realtime session killed (SIGKILL) and started again with the same --state: it resumes from its
 * journal, backfills what closed while it was down from each symbol's last decided bar, decides each
 * missed bar once, and places no order twice. In child processes, against the fake exchange on
 * 127.0.0.1, killed at several points.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { committedCycles } from '../helpers/cli-process.ts';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const TRADER = join(ROOT, 'test', 'fixtures', 'strategies', 'scripted-trader.ts');
const BASE = Date.UTC(2026, 0, 5);

function session(fake: FakeBinance, state: string, out: string) {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'run',
      '--source',
      'realtime',
      '--symbols',
      'BTCUSDT',
      '--lot',
      'BTCUSDT=0.001',
      '--ws-url',
      fake.wsUrl,
      '--rest-url',
      fake.restUrl,
      '--state',
      state,
      '--out',
      out,
      '--quiet',
      '--strategy',
      TRADER,
      '--param',
      'mode=spam-market',
      '--max-bar-age',
      '100000',
      '--stale-after',
      '60',
      '--stale-alert-after',
      '120',
    ],
    { env: { ...process.env, FLAG_REALTIME: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exit, stderr: () => stderr };
}

/** Sends minute m live, and keeps it in REST too (a bar lost in flight is then backfilled). */
function send(fake: FakeBinance, m: number): void {
  const b = bar('BTCUSDT', m, 100 + m);
  fake.restBars.get('BTCUSDT')!.push(b);
  fake.sendKline(b, true);
}

test('killed at several points and resumed: every bar decided exactly once, no order placed twice, the outage backfilled', async (t) => {
  for (const killAfter of [2, 5, 9]) {
    const fake = await FakeBinance.start(['BTCUSDT']);
    const base = tempDirSync(t, 'tl-rt-resume-');
    const state = join(base, 'state');
    const out = join(base, 'out');
    try {
      const first = session(fake, state, out);
      await fake.waitForConnections(1, 20_000);
      let m = 0;
      for (; m < 12; m++) {
        send(fake, m);
        if (m === killAfter) {
          // Once the journal has this many cycles, kill: the turn in flight may or may not be in.
          await until(() => committedCycles(join(state, 'journal.sqlite')) >= killAfter - 1, 'cycles committed', 20_000);
          first.child.kill('SIGKILL');
          await first.exit;
          break;
        }
        await new Promise((r) => setTimeout(r, 15));
      }
      // While it is down, three more minutes close: only REST has them.
      for (const k of [m + 1, m + 2, m + 3]) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', k, 100 + k));
      const second = session(fake, state, out);
      const conn = await fake.waitForConnections(2, 20_000);
      const last = m + 4;
      const b = bar('BTCUSDT', last, 100 + last);
      fake.restBars.get('BTCUSDT')!.push(b);
      await until(() => existsSync(join(out, 'events.ndjson')) && readFileSync(join(out, 'events.ndjson'), 'utf8').includes('"run_resume"'), 'resumed', 20_000);
      fake.sendKline(b, true, Date.now(), conn);
      const decided = (): number[] =>
        readFileSync(join(out, 'events.ndjson'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('"type":"decision"'))
          .map((l) => (JSON.parse(l).openTime - BASE) / 60_000);
      await until(() => decided().includes(last), `minute ${last} decided`, 20_000);
      second.child.kill('SIGINT');
      assert.equal(await second.exit, 0, second.stderr());
      const minutes = decided();
      assert.deepEqual(
        minutes,
        Array.from({ length: last + 1 }, (_, i) => i),
        `killed after minute ${killAfter}: each minute decided once, in order`,
      );
      const log = readFileSync(join(out, 'events.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; orderId?: string; source?: string; openTime?: number });
      const orders = log.filter((e) => e.type === 'order').map((e) => e.orderId!);
      assert.equal(new Set(orders).size, orders.length, 'no order twice');
      assert.equal(orders.length, last + 1);
      assert.ok(
        log.some((e) => e.type === 'bar' && e.source === 'rest-backfill'),
        'the outage came by backfill',
      );
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
        bars: number;
        fills: number;
        runId: string;
        feed: { segment: number };
        restingOrders: Array<{ orderId: string; orderType?: string }>;
      };
      // Next-open: every minute's order fills in the next minute's cycle, across the kill too; the last minute's is still working, and listed.
      assert.deepEqual([summary.bars, summary.fills], [last + 1, last], 'the summary covers the whole session');
      assert.deepEqual(
        summary.restingOrders.map((o) => [o.orderId, o.orderType]),
        [[orders.at(-1), 'market']],
      );
      const filled = log.filter((e) => e.type === 'fill').map((e) => e.orderId!);
      assert.deepEqual(filled, orders.slice(0, -1), 'each order filled once, in order');
      assert.equal(summary.feed.segment, 2, "and says that its feed counters are the resumed segment's");
      const db = new DatabaseSync(join(state, 'journal.sqlite'), { readOnly: true });
      const stamped = (db.prepare('SELECT COUNT(cursor) AS n FROM units').get() as { n: number }).n;
      db.close();
      assert.equal(stamped, 0, 'a Binance session records no stream cursor');
    } finally {
      await fake.close();
    }
  }
});

test('against the replay server: killed mid-tape and resumed, the session decides exactly what the csv run decides', async (t) => {
  const { startReplayServer } = await import('../../src/replay/replay-server.ts');
  const { main } = await import('../../src/cli/main.ts');
  const sample = join(ROOT, 'data', 'sample');
  const common = ['--symbols', 'SPY,QQQ', '--param', 'pct=30', '--max-position-notional', '40000', '--max-gross-exposure', '60000'];
  const csvOut = tempDirSync(t, 'tl-rt-csv-');
  assert.equal(await main(['run', '--source', 'csv', '--data', sample, ...common, '--out', csvOut, '--quiet'], { stdout: () => {}, stderr: () => {} }, {}), 0);
  const trading = (path: string): string[] =>
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => ['decision', 'order', 'fill', 'cancel', 'reject'].includes(String(e.type)))
      .map(({ seq: _s, ...rest }) => JSON.stringify(rest));
  const want = trading(join(csvOut, 'events.ndjson'));
  // Each client its own tape from the start, at full speed: the resumed one is sent again what it
  // already decided (skipped as out of order), then goes on where it stopped.
  const server = await startReplayServer({ symbols: ['SPY', 'QQQ'], dataDir: sample, speed: 'max', tape: 'per-client' });
  const base = tempDirSync(t, 'tl-rt-replay-');
  const state = join(base, 'state');
  const out = join(base, 'out');
  const args = [
    MAIN,
    'run',
    '--source',
    'realtime',
    ...common,
    '--ws-url',
    server.wsUrl,
    '--rest-url',
    server.restUrl,
    '--state',
    state,
    '--out',
    out,
    '--quiet',
    '--max-bar-age',
    '1000000',
  ];
  const start = () => {
    const child = spawn(process.execPath, args, { env: { ...process.env, FLAG_REALTIME: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    return { child, exit: new Promise<number | null>((r) => child.once('exit', (code) => r(code))), stderr: () => stderr };
  };
  const decisions = (): number =>
    existsSync(join(out, 'events.ndjson')) ? readFileSync(join(out, 'events.ndjson'), 'utf8').split('"type":"decision"').length - 1 : 0;
  try {
    const first = start();
    await until(() => committedCycles(join(state, 'journal.sqlite')) >= 1500, 'half the tape committed', 30_000);
    first.child.kill('SIGKILL');
    await first.exit;
    const second = start();
    await until(() => decisions() >= want.filter((e) => e.includes('"type":"decision"')).length, 'every bar decided', 60_000);
    second.child.kill('SIGINT');
    assert.equal(await second.exit, 0, second.stderr());
  } finally {
    await server.close();
  }
  const got = trading(join(out, 'events.ndjson'));
  const first = got.findIndex((line, i) => line !== want[i]);
  assert.equal(first, -1, `first difference at trading event ${first}:\n  csv      ${want[first]}\n  resumed  ${got[first]}`);
  assert.equal(got.length, want.length);
});
