/**
 * Exactly once across a crash, on the fleet's stream: a session (`run --source nats`, a child
 * process) killed with SIGKILL mid-stream and started again on the same journal (SQLite in its
 * --state, or PostgreSQL under --session) reads the stream on from the cursor its journal
 * recorded, and decides every bar once, places no order twice, and decides exactly what a csv run
 * of the same bars decides (an uninterrupted run's decisions: see nats-parity.test.ts); `tradeloop
 * verify` passes on its journal. The bars are published as per-symbol publishers publish them, SPY
 * two minutes ahead of QQQ: a bar of a later minute sits at a lower stream sequence than a bar of
 * the slice being decided, which is what the journal's watermark must get right. nats-server
 * itself SIGKILLed and restarted mid-stream loses and doubles nothing either.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { main } from '../../src/cli/main.ts';
import type { Bar } from '../../src/domain/types.ts';
import { committedCycles, logOf, spawnCli } from '../helpers/cli-process.ts';
import { collect } from '../helpers/collect-source.ts';
import { assertExactlyOnce as exactlyOnce } from '../helpers/exactly-once.ts';
import { until } from '../helpers/fake-binance.ts';
import { natsSkip } from '../helpers/nats.ts';
import { pgSkip, pgTest } from '../helpers/postgres.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';
import { trading } from '../helpers/trading-events.ts';
import { MINUTE, NatsTape } from './nats-tape.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, 'data', 'sample');
const STREAM = 'TL_RESUME';
/** Minutes of each symbol in the stream before the first start (the warm-up), and decided after it. */
const EARLY = 30;
const LATE = 240;
const skip = natsSkip();

const RISK = ['--symbols', 'SPY,QQQ', '--max-position-notional', '40000', '--max-gross-exposure', '60000'];
const COMMON = [...RISK, '--strategy', 'sma-cross', '--param', 'pct=30'];
/** Stops resting from the first bar on: a session that cancelled them on an outage would part from the csv run. */
const STOPS = [...RISK, '--strategy', join(ROOT, 'test', 'fixtures', 'strategies', 'protective-stop.ts'), '--param', 'qty=75'];

interface Bars {
  readonly early: readonly Bar[];
  /** The decided bars, in the order per-symbol publishers put them in the stream: SPY two minutes ahead. */
  readonly late: readonly Bar[];
  readonly from: number;
  readonly to: number;
}

async function sampleBars(): Promise<Bars> {
  const { bars } = await collect({
    symbols: ['SPY', 'QQQ'],
    files: new Map([
      ['SPY', [join(SAMPLE, 'SPY.csv')]],
      ['QQQ', [join(SAMPLE, 'QQQ.csv')]],
    ]),
  });
  const minutes = [...new Set(bars.map((b) => b.openTime))];
  const from = minutes[EARLY]!;
  const to = minutes[EARLY + LATE]!;
  const ahead = (b: Bar): number => b.openTime + (b.symbol === 'QQQ' ? 2 * MINUTE + 1 : 0);
  const late = bars.filter((b) => b.openTime >= from && b.openTime < to).sort((x, y) => ahead(x) - ahead(y));
  return { early: bars.filter((b) => b.openTime < from), late, from, to };
}

/** The csv run of the same bars: what every stream session here must decide. */
async function csvTrading(t: import('node:test').TestContext, b: Bars, strategy: readonly string[] = COMMON): Promise<string[]> {
  const out = tempDirSync(t, 'tl-nats-resume-csv-');
  const args = ['run', '--source', 'csv', '--data', SAMPLE, '--from', new Date(b.from).toISOString(), '--to', new Date(b.to).toISOString()];
  assert.equal(await main([...args, ...strategy, '--out', out, '--quiet'], { stdout: () => {}, stderr: () => {} }, {}), 0);
  return trading(join(out, 'events.ndjson'));
}

function session(t: import('node:test').TestContext, url: string, place: readonly string[], out: string, strategy: readonly string[] = COMMON) {
  const args = ['run', '--source', 'nats', '--nats', url, '--stream', STREAM, ...strategy, ...place, '--out', out, '--quiet'];
  // Catching up after a kill, bars are behind the stream's newest by design: the stale_bar rule is beside the point here.
  args.push('--max-bar-age', '1000000', '--stale-after', '60', '--stale-alert-after', '120');
  return spawnCli(t, args, { ...process.env, FLAG_REALTIME: '1' });
}

/** Publishes bars in order, a few at a time, each batch stored before the next. */
async function publish(tape: NatsTape, bars: readonly Bar[]): Promise<void> {
  for (let i = 0; i < bars.length; i += 8) await Promise.all(bars.slice(i, i + 8).map((b) => tape.publish(b)));
}

/** Every decided bar once; no order twice; the trading events those of the csv run. */
function assertExactlyOnce(log: string, b: Bars, want: readonly string[], outDir: string): void {
  exactlyOnce(
    log,
    b.late.map((x) => `${x.symbol}@${x.openTime}`),
    want,
    join(outDir, 'events.ndjson'),
  );
}

test('SIGKILLed mid-stream and started again with the same --state: every bar decided once, no order twice, as the csv run; verify passes', {
  skip,
}, async (t) => {
  const b = await sampleBars();
  const want = await csvTrading(t, b);
  for (const killAt of [90, 300]) {
    const tape = await NatsTape.start(t, { server: 'own', stream: STREAM });
    const base = tempDirSync(t, 'tl-nats-resume-');
    const state = join(base, 'state');
    const out = join(base, 'out');
    const journal = join(state, 'journal.sqlite');
    await publish(tape, b.early);
    const first = session(t, tape.url, ['--state', state], out);
    await until(() => logOf(out).includes('"type":"run_start"'), 'the first session warmed up', 20_000);
    const part = Math.round(b.late.length * 0.7);
    await publish(tape, b.late.slice(0, part));
    await until(() => committedCycles(journal) >= killAt, `${killAt} cycles committed`, 20_000);
    first.child.kill('SIGKILL');
    await first.exit;
    const before = committedCycles(journal);
    // Published while the session is down: the stream keeps them.
    const down = Math.round(b.late.length * 0.85);
    await publish(tape, b.late.slice(part, down));
    const second = session(t, tape.url, ['--state', state], out);
    await until(() => logOf(out).includes('"run_resume"'), 'resumed', 20_000);
    await publish(tape, b.late.slice(down));
    await until(() => logOf(out).split('"type":"decision"').length - 1 >= b.late.length, 'every bar decided', 30_000);
    second.child.kill('SIGINT');
    assert.equal(await second.exit, 0, second.stderr());
    assert.ok(before < b.late.length, `killed mid-stream (${before} of ${b.late.length} committed)`);
    assert.match(
      second.stderr(),
      /RESUMED rt-\w+-\w+ from its journal: \d+ cycles replayed.*Next: the stream TL_RESUME is read on after seq \d+ \(the journal's cursor\)/,
    );
    assertExactlyOnce(logOf(out), b, want, out);
    const db = new DatabaseSync(journal, { readOnly: true });
    const stamped = db.prepare('SELECT COUNT(*) AS n, MAX(cursor) AS top FROM units WHERE cursor IS NOT NULL').get() as { n: number; top: number };
    const units = db.prepare('SELECT COUNT(*) AS n FROM units').get() as { n: number };
    db.close();
    assert.equal(stamped.n, units.n, 'every unit records the stream cursor');
    assert.equal(stamped.top, b.early.length + b.late.length, 'and the last one the stream end');
    let text = '';
    assert.equal(await main(['verify', '--state', state], { stdout: (s) => (text += s), stderr: (s) => (text += s) }, {}), 0, text);
  }
});

test('SIGKILLed mid-stream with its journal in PostgreSQL, started again under the same --session in a new folder: every bar once, as the csv run; verify passes', {
  skip: skip || pgSkip(),
}, async (t) => {
  const p = await pgTest(t);
  const name = p.session('nats');
  const b = await sampleBars();
  const want = await csvTrading(t, b);
  const tape = await NatsTape.start(t, { server: 'own', stream: STREAM });
  const base = tempDirSync(t, 'tl-nats-pg-');
  const place = ['--journal', p.url, '--session', name];
  const cycles = async (): Promise<number> => {
    const r = await p.admin.query("SELECT count(*)::int AS n FROM tradeloop.units WHERE session = $1 AND kind = 'cycle'", [name]).catch(() => null);
    return r?.rows[0]?.n ?? 0;
  };
  await publish(tape, b.early);
  const first = session(t, tape.url, place, join(base, 'first'));
  await until(() => logOf(join(base, 'first')).includes('"type":"run_start"'), 'the first session warmed up', 20_000);
  const part = Math.round(b.late.length * 0.7);
  await publish(tape, b.late.slice(0, part));
  for (const deadline = Date.now() + 20_000; (await cycles()) < 150; ) assert.ok(Date.now() < deadline, 'cycles committed in PostgreSQL');
  first.child.kill('SIGKILL');
  await first.exit;
  const before = await cycles();
  await publish(tape, b.late.slice(part, Math.round(b.late.length * 0.85)));
  const out = join(base, 'second');
  const second = session(t, tape.url, place, out);
  await until(() => logOf(out).includes('"run_resume"'), 'resumed', 20_000);
  await publish(tape, b.late.slice(Math.round(b.late.length * 0.85)));
  await until(() => logOf(out).split('"type":"decision"').length - 1 >= b.late.length, 'every bar decided', 30_000);
  second.child.kill('SIGINT');
  assert.equal(await second.exit, 0, second.stderr());
  assert.ok(before < b.late.length, `killed mid-stream (${before} of ${b.late.length} committed)`);
  // The new folder's log is the journal's, rebuilt, and then the resumed segment's: the whole session.
  assertExactlyOnce(logOf(out), b, want, out);
  const r = await p.admin.query('SELECT count(*)::int AS n, count(cursor)::int AS stamped, max(cursor)::int AS top FROM tradeloop.units WHERE session = $1', [
    name,
  ]);
  assert.equal(r.rows[0].stamped, r.rows[0].n, 'every unit records the stream cursor');
  assert.equal(r.rows[0].top, b.early.length + b.late.length);
  let text = '';
  assert.equal(await main(['verify', '--journal', p.url, '--session', name], { stdout: (s) => (text += s), stderr: (s) => (text += s) }, {}), 0, text);
});

test('nats-server SIGKILLed mid-stream and started again on its store: the session says so (alert, feed state) without halting, keeps its resting stops, reads on from its last sequence, and decides every bar once, exactly as the csv run', {
  skip,
}, async (t) => {
  const b = await sampleBars();
  const want = await csvTrading(t, b, STOPS);
  const tape = await NatsTape.start(t, { server: 'own', stream: STREAM });
  const base = tempDirSync(t, 'tl-nats-server-kill-');
  const out = join(base, 'out');
  await publish(tape, b.early);
  // SPY runs two minutes ahead of QQQ: a slice waits for QQQ through the outage (the default grace
  // would let it go after 1.5 s, and QQQ's bar would come late and be decided on its own).
  const run = session(t, tape.url, ['--state', join(base, 'state'), '--slice-grace-ms', '30000'], out, STOPS);
  await until(() => logOf(out).includes('"type":"run_start"'), 'the session warmed up', 20_000);
  const part = Math.round(b.late.length * 0.5);
  await publish(tape, b.late.slice(0, part));
  await until(() => logOf(out).split('"type":"decision"').length - 1 >= 100, '100 bars decided', 20_000);
  await tape.own!.kill();
  await until(() => logOf(out).includes('"kind":"disconnect"'), 'the session alerted the disconnect', 20_000);
  await tape.own!.restart();
  await tape.reconnect();
  await publish(tape, b.late.slice(part));
  await until(() => logOf(out).split('"type":"decision"').length - 1 >= b.late.length, 'every bar decided', 30_000);
  run.child.kill('SIGINT');
  assert.equal(await run.exit, 0, run.stderr());
  const events = logOf(out)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; reason?: string; kind?: string; state?: string; orderType?: string });
  // The stream is the tape: nothing is missed while the server is away, so there is nothing a halt
  // would guard against, and a halt would cancel the stops that guard the position.
  assert.deepEqual(
    events.filter((e) => e.type === 'halt' || e.type === 'resume').map((e) => e.reason),
    [],
    'no halt: the outage is said, not traded on',
  );
  assert.ok(
    events.some((e) => e.type === 'feed' && e.state === 'disconnected'),
    'the feed state says disconnected',
  );
  assert.ok(events.filter((e) => e.type === 'order' && e.orderType === 'stop').length >= 5, 'stops were resting throughout');
  assertExactlyOnce(logOf(out), b, want, out);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    feed: { disconnects: number; connects: number; duplicates: number; outOfOrder: number };
  };
  assert.ok(summary.feed.disconnects >= 1 && summary.feed.connects >= 2, JSON.stringify(summary.feed));
  assert.equal(summary.feed.duplicates + summary.feed.outOfOrder, 0, 'nothing read twice');
});
