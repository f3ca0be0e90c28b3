/**
 * The fleet end to end, every part real and each in its own process where it is one in use: a
 * replay server plays the bundled SPY,QQQ bars over the Binance protocol; two `tradeloop publish`
 * read it and publish into one JetStream stream on a nats-server of the test's own; three
 * `tradeloop run --source nats` sessions with different strategies (sma-cross, buy-and-hold, and
 * a fixture that rests stop, stop-limit and trailing-stop orders) decide off the stream, each with
 * its journal in PostgreSQL under its own --session. Mid-stream one publisher, one session and
 * nats-server itself are killed with SIGKILL and started again (the session under the same
 * --session, the server on its store). At the end every session has decided every bar of the
 * tape once, placed no order twice, and decided exactly what a csv run of the same bars decides
 * (the feed halt of the server's outage left out); `verify` passes from PostgreSQL, and `fleet
 * status` lists the three with a numeric lag.
 *
 * The tape starts only when the test says so (a third, gate stream must be subscribed too), once
 * every session has warmed up from the stream's history: so each session's first decision is the
 * tape's first bar of both symbols, the same bar the csv run starts at with --from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WebSocket } from 'ws';
import { main } from '../../src/cli/main.ts';
import type { MemberStatus } from '../../src/fleet/fleet-status.ts';
import { loadFleetToken } from '../../src/fleet/fleet-token.ts';
import { startReplayServer } from '../../src/replay/replay-server.ts';
import { type CliChild, logOf, spawnCli } from '../helpers/cli-process.ts';
import { assertExactlyOnce } from '../helpers/exactly-once.ts';
import { until } from '../helpers/fake-binance.ts';
import { natsSkip, startNatsServer } from '../helpers/nats.ts';
import { pgSkip, pgTest } from '../helpers/postgres.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';
import { trading } from '../helpers/trading-events.ts';
import { subjectCounts, testConnection } from './publish-harness.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, 'data', 'sample');
const STOPS = join(ROOT, 'test', 'fixtures', 'strategies', 'protective-stop.ts');
const STREAM = 'TL_E2E';
const FLEET = 'tl_e2e';
/** Minutes served as history before the tape (each publisher's --history): more than any warm-up here. */
const HISTORY = 60;
/** Minutes on the tape: what every session decides. */
const TAPE = 240;
/** Bar time per wall time: a minute every 100 ms, so the tape plays for about 24 s. */
const SPEED = 600;

const RISK = ['--max-position-notional', '40000', '--max-gross-exposure', '60000'];
const STRATEGIES = [
  // buy-and-hold buys once, long before the outages; a sma-cross order works for one bar now and
  // then; the stops fixture has stops resting always, through every outage (none may cancel them).
  { name: 'sma', args: ['--strategy', 'sma-cross', '--param', 'pct=30'], minOrders: 11 },
  { name: 'hold', args: ['--strategy', 'buy-and-hold', '--param', 'pct=30'], minOrders: 1 },
  { name: 'stops', args: ['--strategy', STOPS, '--param', 'qty=75'], minOrders: 11 },
] as const;

async function sigkill(c: CliChild): Promise<void> {
  c.child.kill('SIGKILL');
  await c.exit;
}

const decisions = (out: string): number => logOf(out).split('"type":"decision"').length - 1;

/** The first HISTORY + TAPE minutes of the sample, per symbol, as CSV files; and the openTimes of the tape. */
function sampleSubset(dir: string): { from: number; to: number; expected: string[] } {
  const times: number[] = [];
  for (const symbol of ['SPY', 'QQQ']) {
    const lines = readFileSync(join(SAMPLE, `${symbol}.csv`), 'utf8')
      .trim()
      .split('\n');
    const rows = lines.slice(1, 1 + HISTORY + TAPE);
    writeFileSync(join(dir, `${symbol}.csv`), `${[lines[0], ...rows].join('\n')}\n`);
    if (symbol === 'SPY') for (const r of rows) times.push(Date.parse(r.split(',')[0]!));
    else
      assert.deepEqual(
        rows.map((r) => Date.parse(r.split(',')[0]!)),
        times,
        'both symbols have a bar at every minute',
      );
  }
  const tape = times.slice(HISTORY);
  assert.equal(tape.length, TAPE);
  return { from: tape[0]!, to: tape.at(-1)! + 60_000, expected: tape.flatMap((m) => [`SPY@${m}`, `QQQ@${m}`]) };
}

test('two publishers, three sessions on PostgreSQL journals; a publisher, a session and nats-server SIGKILLed mid-stream and restarted: every bar decided once, no order twice, exactly as the csv run (resting stops kept through the outages); verify passes; fleet status lists them', {
  skip: natsSkip() || pgSkip(),
}, async (t) => {
  const p = await pgTest(t);
  const base = tempDirSync(t, 'tl-fleet-e2e-');
  const data = join(base, 'data');
  const gateData = join(base, 'gate');
  mkdirSync(data);
  mkdirSync(gateData);
  const { from, to, expected } = sampleSubset(data);
  writeFileSync(join(gateData, 'GATE.csv'), readFileSync(join(data, 'SPY.csv')));

  // What each strategy decides on these bars in a csv run, warmed up on the same history (--from).
  const want = new Map<string, string[]>();
  for (const s of STRATEGIES) {
    const out = join(base, `csv-${s.name}`);
    const args = ['run', '--source', 'csv', '--data', data, '--symbols', 'SPY,QQQ', '--from', new Date(from).toISOString(), '--to', new Date(to).toISOString()];
    let err = '';
    const code = await main([...args, ...s.args, ...RISK, '--out', out, '--quiet'], { stdout: () => {}, stderr: (x) => (err += x) }, {});
    assert.equal(code, 0, err);
    want.set(s.name, trading(join(out, 'events.ndjson')));
  }

  const nats = await startNatsServer(t);
  let tapeStarted!: () => void;
  const started = new Promise<void>((r) => (tapeStarted = r));
  const replay = await startReplayServer({
    symbols: ['SPY', 'QQQ', 'GATE'],
    files: new Map([
      ['SPY', [join(data, 'SPY.csv')]],
      ['QQQ', [join(data, 'QQQ.csv')]],
      ['GATE', [join(gateData, 'GATE.csv')]],
    ]),
    speed: SPEED,
    startAt: from,
    // The publishers subscribe SPY and QQQ; the tape waits for the test's own GATE subscription.
    startAfterStreams: 3,
    onTapeStart: tapeStarted,
  });
  t.after(() => replay.close());
  const slicesLeft = (): number => replay.stats.slicesOnTape - replay.stats.slicesClosed;

  const publisherArgs = (id: string): string[] => [
    'publish',
    '--nats',
    nats.url,
    '--ws-url',
    replay.wsUrl,
    '--rest-url',
    replay.restUrl,
    '--symbols',
    'SPY,QQQ',
    '--stream',
    STREAM,
    '--publisher-id',
    id,
    '--history',
    String(HISTORY),
    // The exchange feed is quiet until the tape starts: not stale for that.
    '--stale-after',
    '30',
  ];
  const publishers = [spawnCli(t, publisherArgs('pub-a')), spawnCli(t, publisherArgs('pub-b'))];
  for (const pub of publishers) await until(() => pub.stderr().includes('start published'), `a publisher published its start: ${pub.stderr()}`, 20_000);
  const nc = await testConnection(t, nats.url);
  const counts = await subjectCounts(nc, STREAM);
  assert.deepEqual(counts, { 'tradeloop.bars.1m.SPY': HISTORY, 'tradeloop.bars.1m.QQQ': HISTORY }, 'the history once, though both published it');
  await nc.close();

  // The fleet token made once, before three sessions could race to make it.
  const tokenFile = join(base, 'fleet-token');
  loadFleetToken(tokenFile, {});
  const fleetFlags = ['--nats', nats.url, '--fleet-name', FLEET, '--fleet-token', tokenFile];
  const sessions = STRATEGIES.map((s) => ({ strategy: s, name: p.session(`e2e_${s.name}`), out: join(base, `run-${s.name}`) }));
  const sessionArgs = (s: (typeof sessions)[number], out: string): string[] => [
    'run',
    '--source',
    'nats',
    '--stream',
    STREAM,
    ...fleetFlags,
    '--symbols',
    'SPY,QQQ',
    ...s.strategy.args,
    ...RISK,
    '--journal',
    p.url,
    '--session',
    s.name,
    '--out',
    out,
    '--quiet',
    // Catching up after a kill, bars are behind the stream's newest by design; a slice waits for
    // both symbols through the server's outage; and the feed is not stale while the server is away.
    '--max-bar-age',
    '1000000',
    '--stale-after',
    '60',
    '--stale-alert-after',
    '120',
    '--slice-grace-ms',
    '30000',
  ];
  const env = { ...process.env, FLAG_REALTIME: '1' };
  const running = sessions.map((s) => spawnCli(t, sessionArgs(s, s.out), env));
  for (const [i, s] of sessions.entries())
    await until(() => logOf(s.out).includes('"type":"run_start"'), `session ${s.name} warmed up: ${running[i]!.stderr()}`, 30_000);

  // The tape starts now.
  const gate = new WebSocket(`${replay.wsUrl}/ws/gate@kline_1m`);
  gate.on('error', () => {});
  await started;
  gate.close();
  const sma = sessions[0]!;

  // 1. A publisher dies mid-stream; the other goes on publishing; it is started again.
  await until(() => decisions(sma.out) >= 0.2 * 2 * TAPE, 'a fifth of the tape decided', 30_000);
  await sigkill(publishers[0]!);
  assert.ok(slicesLeft() > 0, 'the publisher was killed mid-stream');
  publishers[0] = spawnCli(t, publisherArgs('pub-a'));
  await until(() => publishers[0]!.stderr().includes('start published'), `the publisher started again: ${publishers[0]!.stderr()}`, 20_000);

  // 2. A session dies mid-stream, and starts again under the same --session (in a new folder).
  const victim = sessions[1]!;
  await until(() => decisions(victim.out) >= 0.4 * 2 * TAPE, `two fifths of the tape decided by ${victim.name}`, 30_000);
  await sigkill(running[1]!);
  const before = decisions(victim.out);
  assert.ok(slicesLeft() > 0 && before < 2 * TAPE, `the session was killed mid-stream (${before} decided)`);
  victim.out = join(base, 'run-again');
  running[1] = spawnCli(t, sessionArgs(victim, victim.out), env);
  await until(() => logOf(victim.out).includes('"run_resume"'), `the session resumed: ${running[1]!.stderr()}`, 30_000);

  // 3. nats-server dies mid-stream: every session says so (no halt: the stream misses nothing); it comes back on its store.
  await until(() => decisions(sma.out) >= 0.6 * 2 * TAPE, 'three fifths of the tape decided', 30_000);
  await nats.kill();
  assert.ok(slicesLeft() > 0, 'nats-server was killed mid-stream');
  for (const s of sessions) await until(() => logOf(s.out).includes('"kind":"disconnect"'), `${s.name} alerted the disconnect`, 20_000);
  await nats.restart();

  for (const [i, s] of sessions.entries())
    await until(() => decisions(s.out) >= 2 * TAPE, `${s.name} decided the whole tape (${decisions(s.out)} of ${2 * TAPE}): ${running[i]!.stderr()}`, 60_000);

  let json = '';
  let err = '';
  const code = await main(['fleet', 'status', ...fleetFlags, '--json', '--wait', '2'], { stdout: (x) => (json += x), stderr: (x) => (err += x) }, {});
  assert.equal(code, 0, err);
  const members = JSON.parse(json) as MemberStatus[];
  assert.deepEqual(members.map((m) => m.name).sort(), sessions.map((s) => s.name).sort(), 'fleet status lists the three sessions');
  for (const m of members) assert.equal(typeof m.lagBars, 'number', `${m.name}: a numeric lag (${m.lagBars})`);

  for (const [i, r] of running.entries()) {
    r.child.kill('SIGINT');
    assert.equal(await r.exit, 0, `${sessions[i]!.name}: ${r.stderr()}`);
  }
  for (const pub of publishers) pub.child.kill('SIGTERM');
  for (const pub of publishers) await pub.exit;

  for (const s of sessions) {
    assertExactlyOnce(logOf(s.out), expected, want.get(s.strategy.name)!, join(s.out, 'events.ndjson'), { minOrders: s.strategy.minOrders, label: s.name });
    let text = '';
    assert.equal(await main(['verify', '--journal', p.url, '--session', s.name], { stdout: (x) => (text += x), stderr: (x) => (text += x) }, {}), 0, text);
  }
  // The stops rested through the outage (the fixture keeps them from its first bar on): no halt cancelled one.
  const stops = sessions.find((s) => s.strategy.name === 'stops')!;
  const cancels = logOf(stops.out)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; reason?: string })
    .filter((e) => e.type === 'cancel' && e.reason === 'trading_halted');
  assert.deepEqual(cancels, [], 'no resting stop cancelled by an outage');
});
