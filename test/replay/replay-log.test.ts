import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.ts';
import { describeLogEvent, formatLogLine, LogThrottle, type ReplayLogEvent } from '../../src/replay/replay-log.ts';
import { dataDir, minuteBars, T0, TestClient, type DataDir } from './replay-helpers.ts';

type Of<K extends ReplayLogEvent['kind']> = Extract<ReplayLogEvent, { kind: K }>;

/** Nothing happens silently: every connect, disconnect and the tape's start and end are records the operator sees. */
describe('replay server log', () => {
  let data: DataDir;
  const servers: ReplayServer[] = [];
  const clients: TestClient[] = [];

  before(async () => {
    data = await dataDir({ BTCUSDT: minuteBars(T0, 5, 100), ETHUSDT: minuteBars(T0, 5, 10) });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await Promise.all(servers.map((s) => s.close()));
    await data.remove();
  });

  const find = <K extends ReplayLogEvent['kind']>(log: readonly ReplayLogEvent[], kind: K, test: (e: Of<K>) => boolean = () => true): Of<K> | undefined =>
    log.find((e): e is Of<K> => e.kind === kind && test(e as Of<K>));

  it("a token in a client's path is not printed: the path is shown redacted", () => {
    const line = describeLogEvent({
      kind: 'connect',
      at: 0,
      client: 1,
      remote: '127.0.0.1:5',
      path: '/stream?streams=btcusdt@kline_1m&token=s3cr3t-tok',
      connections: 1,
    });
    assert.ok(!line.includes('s3cr3t-tok'), line);
    assert.match(line, /streams=btcusdt@kline_1m&token=\*\*\*/);
    const refused = describeLogEvent({ kind: 'refused', at: 0, remote: '127.0.0.1:5', path: '/ws?key=s3cr3t-tok', status: 503, reason: 'full', repeats: 0 });
    assert.ok(!refused.includes('s3cr3t-tok'), refused);
  });

  it('records a connect with the remote address and path, and a disconnect with code, reason, duration and messages sent', async () => {
    const log: ReplayLogEvent[] = [];
    let now = 1_700_000_000_000;
    const server = await startReplayServer({ symbols: ['BTCUSDT', 'ETHUSDT'], dataDir: data.dir, speed: 6000, now: () => now++, log: (e) => log.push(e) });
    servers.push(server);
    const c = await TestClient.connect(`${server.wsUrl}/stream?streams=btcusdt@kline_1m`);
    clients.push(c);
    await c.finalsReach(5);
    const connect = find(log, 'connect');
    assert.ok(connect);
    assert.equal(connect.client, 1);
    assert.match(connect.remote, /^127\.0\.0\.1:\d+$/);
    assert.equal(connect.path, '/stream?streams=btcusdt@kline_1m');
    assert.ok(connect.at >= 1_700_000_000_000, 'times come from the injected wall clock');

    const received = c.messages.length;
    c.ws.close(4000, 'trial over');
    await c.closed;
    const gone = await c.until(() => find(log, 'disconnect'), 2000, 'the disconnect record');
    assert.deepEqual([gone.client, gone.by, gone.code, gone.reason], [1, 'client', 4000, 'trial over']);
    assert.ok(gone.durationMs >= 0);
    assert.ok(gone.messagesSent >= received && received > 0, `${gone.messagesSent} sent, ${received} received`);
  });

  it('records the tape start and end, with the bars played', async () => {
    const log: ReplayLogEvent[] = [];
    const server = await startReplayServer({ symbols: ['BTCUSDT', 'ETHUSDT'], dataDir: data.dir, speed: 6000, log: (e) => log.push(e) });
    servers.push(server);
    const c = await TestClient.connect(`${server.wsUrl}/ws/btcusdt@kline_1m`);
    clients.push(c);
    await c.finalsReach(5);
    const ended = await c.until(() => find(log, 'tape_end'), 2000, 'the tape_end record');
    assert.deepEqual([ended.client, ended.bars, ended.slices], [null, 10, 5]);
    const started = find(log, 'tape_start');
    assert.ok(started && started.client === null && started.slices === 5);
    assert.ok(log.indexOf(started) < log.indexOf(ended));
    assert.equal(server.stats.tape, 'done');
  });

  it('records a server-side close with the server as the one who closed, and why', async () => {
    const log: ReplayLogEvent[] = [];
    const server = await startReplayServer({ symbols: ['BTCUSDT'], dataDir: data.dir, speed: 6000, connectionLifetimeMs: 50, log: (e) => log.push(e) });
    servers.push(server);
    const c = await TestClient.connect(`${server.wsUrl}/ws`);
    clients.push(c);
    assert.equal((await c.closed).code, 1001);
    const gone = await c.until(() => find(log, 'disconnect'), 2000, 'the disconnect record');
    assert.deepEqual([gone.by, gone.code], ['server', 1001]);
    assert.ok(gone.reason.length > 0);
  });

  it('prints one line per record, with the ISO time first and the names that matter', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const line = formatLogLine({ kind: 'tape_end', at, client: null, bars: 1234, slices: 617 });
    assert.ok(line.startsWith('2026-01-02T03:04:05.006Z '));
    assert.equal(line.indexOf('\n'), line.length - 1, 'one line');
    assert.match(line, /1234/);
    assert.match(line, /--loop/);
    const gone = describeLogEvent({
      kind: 'disconnect',
      at,
      client: 7,
      remote: '127.0.0.1:5',
      code: 1006,
      reason: 'no pong',
      by: 'server',
      durationMs: 1500,
      messagesSent: 42,
    });
    for (const name of ['#7', '1006', 'no pong', '42']) assert.ok(gone.includes(name), name);
  });

  it('throttles floods of one kind, counting what it held back', () => {
    const t = new LogThrottle(1000);
    assert.equal(t.admit('refused', 0), 0);
    assert.equal(t.admit('refused', 10), null);
    assert.equal(t.admit('refused', 20), null);
    assert.equal(t.admit('bad_request', 30), 0, 'kinds are throttled apart');
    assert.equal(t.admit('refused', 1000), 2, 'the next line reports the two held back');
  });
});
