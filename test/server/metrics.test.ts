import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { startRealtime } from '../helpers/realtime-harness.ts';
import { parsePromText } from '../helpers/prom-text.ts';
import { runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { repoRoot } from '../helpers/shared-data.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';
import { SessionMetrics } from '../../src/server/metrics.ts';
import { EventBus } from '../../src/events/event-bus.ts';
import { toUnits } from '../../src/stats/decimal.ts';
import type { LatencyEvent } from '../../src/events/types.ts';
import type { SessionStatus } from '../../src/session/status.ts';
import { SAMPLE_EVENTS } from '../helpers/event-samples.ts';

/** Per symbol: bar 0 buys, bar 1 sells, bar 2 asks for zero lots (a reject), bar 3 holds. */
function scripted(): Strategy {
  const seen = new Map<string, number>();
  return {
    name: 'script',
    warmup: 0,
    onBar: (b) => {
      const n = seen.get(b.symbol) ?? 0;
      seen.set(b.symbol, n + 1);
      return n === 0 ? [{ side: 'buy', qty: 1 }] : n === 1 ? [{ side: 'sell', qty: 1 }] : n === 2 ? [{ side: 'buy', qty: 0 }] : [];
    },
  };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Resolves true when the port can be bound on 127.0.0.1 (and lets it go again). */
async function canBind(port: number): Promise<boolean> {
  const srv = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => srv.close(() => resolve()));
  return ok;
}

test("GET /metrics is Prometheus text whose counts equal the summary's after a realtime run; the port is free after shutdown", async () => {
  const fake = await FakeBinance.start(['BTCUSDT', 'ETHUSDT']);
  const port = await freePort();
  const run = await startRealtime({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    args: ['--symbols', 'BTCUSDT,ETHUSDT', '--control-port', String(port)],
    strategy: scripted(),
  });
  let stopped = false;
  try {
    await fake.waitForConnections(1);
    for (let m = 0; m < 4; m++) {
      fake.sendKline(bar('BTCUSDT', m, 100 + m), true);
      fake.sendKline(bar('ETHUSDT', m, 50 + m), true);
    }
    fake.send('{"stream":"btcusdt@kline_1m","data":{"e":"kline"'); // garbage: one malformed skip
    await run.waitFor('8 decisions and the skip', (r) => r.of('decision').length === 8 && r.of('skip').length === 1);
    assert.equal(run.controlUrl, `http://127.0.0.1:${port}`);
    const res = await fetch(`${run.controlUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const m = parsePromText(await res.text());
    assert.equal(await run.stop(), 0);
    stopped = true;
    const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
    const events = run.events();
    const byReason = (type: string, key = 'reason'): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const e of events.filter((x) => x.type === type)) out[e[key] as string] = (out[e[key] as string] ?? 0) + 1;
      return out;
    };
    assert.equal(m.value('tradeloop_bars_total'), summary.bars);
    assert.equal(m.value('tradeloop_decisions_total'), summary.decisions);
    assert.equal(m.value('tradeloop_orders_total'), summary.orders);
    assert.equal(m.value('tradeloop_fills_total'), summary.fills);
    assert.ok(summary.fills >= 4 && summary.rejects >= 2);
    assert.equal(m.sum('tradeloop_rejects_total'), summary.rejects);
    for (const [reason, n] of Object.entries(byReason('reject'))) assert.equal(m.value('tradeloop_rejects_total', { reason }), n, reason);
    assert.equal(m.value('tradeloop_rejects_total', { reason: 'price_band' }), 0, 'every known reason has a series');
    assert.equal(m.value('tradeloop_skips_total', { reason: 'malformed' }), summary.skips);
    assert.equal(m.value('tradeloop_feed_messages_total'), summary.feed.messages);
    assert.equal(m.value('tradeloop_feed_malformed_total'), summary.feed.malformed);
    assert.equal(m.value('tradeloop_feed_reconnects_total'), 0);
    assert.equal(m.value('tradeloop_latency_seconds_count', { segment: 'total' }), summary.latency.total.count);
    assert.equal(m.value('tradeloop_latency_seconds_count', { segment: 'model' }), 8);
    assert.equal(m.value('tradeloop_latency_seconds_bucket', { segment: 'model', le: '10' }), 8);
    assert.equal(m.value('tradeloop_equity'), Number(summary.finalEquity));
    assert.equal(m.value('tradeloop_cash'), Number(summary.cash));
    assert.equal(m.value('tradeloop_trading_state', { state: 'ACTIVE' }), 1);
    assert.equal(m.value('tradeloop_trading_state', { state: 'HALTED' }), 0);
    assert.equal(m.value('tradeloop_feed_state', { state: 'live' }), 1);
    assert.equal(m.value('tradeloop_queue_depth'), 0);
    assert.equal(m.value('tradeloop_info', { mode: 'realtime', run_id: summary.runId }), 1);
    assert.ok(m.value('process_cpu_user_seconds_total')! >= 0, "the process's default metrics are there");
    for (const [name, type] of m.types) {
      if (name.startsWith('process_') || name.startsWith('nodejs_')) continue;
      assert.ok(name.startsWith('tradeloop_'), name);
      if (type === 'counter') assert.ok(name.endsWith('_total'), name);
    }
    assert.ok(await canBind(port), `port ${port} is released after the run`);
    // The realtime run writes the same tables as a static one, and they reconcile the same way.
    const trades = readFileSync(join(run.outDir, 'trades.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    assert.equal(trades.filter((r) => r[10] === 'closed').length, summary.trades);
    assert.equal(
      trades.reduce((a, r) => a + toUnits(r[7]!), 0n),
      toUnits(summary.finalEquity) - toUnits(summary.startEquity),
    );
    const equity = readFileSync(join(run.outDir, 'equity.csv'), 'utf8').trim().split('\n');
    assert.equal(equity.length - 1, 4, 'one row per slice');
    assert.equal(equity.at(-1)!.split(',')[1], summary.finalEquity);
  } finally {
    if (!stopped) await run.stop();
    await fake.close();
  }
});

test('/healthz: 503 naming the reason while the feed is stale, 200 when it recovers (on the virtual clock)', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startRealtime({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    args: ['--symbols', 'BTCUSDT', '--stale-after', '5', '--stale-alert-after', '60'],
  });
  const health = async (): Promise<{ status: number; body: { status: string; reasons: Array<{ reason: string }> } }> => {
    const res = await fetch(`${run.controlUrl}/healthz`);
    return { status: res.status, body: (await res.json()) as { status: string; reasons: Array<{ reason: string }> } };
  };
  try {
    const conn = await fake.waitForConnections(1);
    const before = await health();
    assert.equal(before.status, 503, 'no message yet: the feed is not live');
    fake.sendKline(bar('BTCUSDT', 0, 100), false);
    await run.waitFor('feed live', (r) => r.of('feed').some((f) => f.state === 'live'));
    assert.deepEqual(await health(), { status: 200, body: { status: 'ok', mode: 'realtime', reasons: [] } });
    fake.stall(conn);
    run.clock.advance(5_300);
    await run.waitFor('feed stale', (r) => r.of('feed').some((f) => f.state === 'stale'));
    const stale = await health();
    assert.equal(stale.status, 503);
    assert.equal(stale.body.status, 'unhealthy');
    assert.ok(
      stale.body.reasons.some((r) => r.reason === 'stale'),
      JSON.stringify(stale.body),
    );
    fake.unstall(conn);
    fake.sendKline(bar('BTCUSDT', 0, 100), true, Date.now(), conn);
    await run.waitFor('live again', (r) => r.of('resume').some((e) => e.reason === 'feed_stale'));
    assert.equal((await health()).status, 200);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a static session with --state frees its --control-port when done', async (t) => {
  const state = await tempDir(t, 'tradeloop-state-');
  const port = await freePort();
  const run = await runCli(t, [
    '--symbols',
    'SPY',
    '--data',
    join(repoRoot, 'data', 'sample'),
    '--minutes',
    '30',
    '--state',
    state,
    '--control-port',
    String(port),
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(await canBind(port), `port ${port} is released after the run`);
});

test('every session has its own registry: two at once do not collide', () => {
  const sources = {
    status: () => {
      throw new Error('not scraped');
    },
    counts: { of: () => 0, byReason: () => ({}) },
    feedState: () => null,
    drawdown: () => 0,
  };
  const a = new SessionMetrics(sources, { runId: 'a', mode: 'static' });
  const b = new SessionMetrics(sources, { runId: 'b', mode: 'static' });
  assert.notEqual(a.registry, b.registry);
});

/** A realtime session's metrics, one of its bus's recorders, and a latency event of the sample's. */
function latencyMetrics() {
  const sources = {
    status: () => ({ state: 'ACTIVE', halts: [], equity: '0', cash: '0', grossExposure: '0' }) as unknown as SessionStatus,
    counts: { of: () => 0, byReason: () => ({}) },
    feedState: () => null,
    drawdown: () => 0,
  };
  const metrics = new SessionMetrics(sources, { runId: 'r', mode: 'realtime' });
  const bus = new EventBus([metrics], new Set([metrics]));
  const sample = SAMPLE_EVENTS.find((e) => e.type === 'latency') as LatencyEvent;
  const latency = (i: number): LatencyEvent => ({ ...sample, openTime: i * 60_000, networkMs: -2, queueMs: 1, sliceMs: 3, totalMs: 40 });
  // The registry itself, not text(): what has been observed so far.
  const observed = async (segment: string): Promise<number> =>
    parsePromText(await metrics.registry.getSingleMetricAsString('tradeloop_latency_seconds')).value('tradeloop_latency_seconds_count', { segment }) ?? -1;
  return { metrics, bus, sample, latency, observed };
}

test('latency histograms are observed at the end of the turn (the bus flush), never lost', async () => {
  const { metrics, bus, latency, observed } = latencyMetrics();
  bus.emit(latency(1));
  bus.emit({ ...latency(2), source: 'rest-backfill' });
  // The bars after this one in its slice are decided before any histogram work.
  assert.equal(await observed('total'), 0);
  bus.flush();
  assert.equal(await observed('total'), 1, 'a backfilled bar is left out, as in the summary');
  for (let i = 0; i < 1500; i++) bus.emit(latency(3 + i));
  bus.flush();
  // The process's own metrics (an event loop lag of NaN this early) are not what this reads.
  const scraped = await metrics.text();
  const text = parsePromText(
    scraped
      .split('\n')
      .filter((line) => line.startsWith('tradeloop_latency_seconds'))
      .join('\n'),
  );
  assert.equal(text.value('tradeloop_latency_seconds_count', { segment: 'slice' }), 1501, 'a scrape sees every event of the turns before it');
  assert.equal(text.value('tradeloop_latency_seconds_sum', { segment: 'network' }), 0, 'a negative network figure counts as 0');
  assert.equal(text.value('tradeloop_latency_seconds_bucket', { segment: 'total', le: '0.025' }), 0);
  assert.equal(text.value('tradeloop_latency_seconds_bucket', { segment: 'total', le: '0.05' }), 1501);
  assert.equal(text.value('tradeloop_latency_seconds_bucket', { segment: 'pipeline', le: '0.001' }), 0);
  assert.equal(text.value('tradeloop_latency_seconds_bucket', { segment: 'pipeline', le: '0.0025' }), 1501, 'pipeline = queue + model + broker');
});

test('a latency figure that is not a number is left out of its histogram at the flush; the rest of the turn is observed', async () => {
  const { bus, sample, observed } = latencyMetrics();
  bus.emit({ ...sample, sliceMs: Number.NaN });
  bus.emit(sample);
  // prom-client throws on a value that is not finite: in the bus's flush that would skip the sinks after this one (the journal's commit).
  assert.doesNotThrow(() => bus.flush());
  assert.equal(await observed('slice'), 1);
  assert.equal(await observed('total'), 2);
});
