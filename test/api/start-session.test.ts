/**
 * startSession() from code against a fake Binance on 127.0.0.1: bars decided as they close, the
 * operator's commands through the handle (status, halt, flatten, resume), events as they happen
 * (in memory, no file read back), and stop() resolving to what summary.json holds. Realtime stays
 * behind its gate, and a misspelt option is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSession, TradeloopError, type StrategyFactory, type TradeEvent } from '../../src/index.ts';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { natsSkip } from '../helpers/nats.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { MINUTE, minuteBar, NatsTape } from '../feed/nats-tape.ts';

/** Buys one lot on every bar: each decision tests the gate. */
const buyer: StrategyFactory = () => ({ name: 'buyer', warmup: 0, onBar: () => [{ side: 'buy', qty: 1 }] });

/** Resolves at the first event (from now on) the predicate accepts. */
function waiter(seen: TradeEvent[]): (what: string, pred: (e: TradeEvent) => boolean) => Promise<TradeEvent> {
  const waiting: Array<{ pred: (e: TradeEvent) => boolean; resolve: (e: TradeEvent) => void }> = [];
  const push = seen.push.bind(seen);
  seen.push = (...events: TradeEvent[]): number => {
    for (const e of events) for (const w of waiting.splice(0)) w.pred(e) ? w.resolve(e) : waiting.push(w);
    return push(...events);
  };
  return (what, pred) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
      waiting.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
}

test('startSession(): bars decided live, halt/flatten/resume through the handle, stop() gives summary.json', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  t.after(() => fake.close());
  const out = join(await tempDir(t, 'tl-api-live-'), 'run');
  const seen: TradeEvent[] = [];
  const next = waiter(seen);
  const lines: string[] = [];
  const handle = await startSession({
    realtime: true,
    symbols: ['BTCUSDT'],
    lot: { BTCUSDT: '0.001' },
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    staleAfter: 60,
    staleAlertAfter: 120,
    // About the handle: a buy fills on its own bar (close), so the first bar's fill is there to halt and flatten.
    fillModel: 'close',
    strategy: buyer,
    out,
    onEvent: (e) => seen.push(e),
    stderr: (line) => lines.push(line),
  });
  t.after(() => handle.stop());
  assert.match(handle.control?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  await fake.waitForConnections(1);

  let fill = next('the first fill', (e) => e.type === 'fill');
  fake.sendKline(bar('BTCUSDT', 0, 100), true);
  await fill;
  assert.equal(handle.status().positions.length, 1);

  const halted = await handle.halt({ reason: 'checking from code' });
  assert.equal(halted.state, 'HALTED');
  assert.ok(
    lines.some((l) => /HALT/.test(l) && l.includes('checking from code')),
    'the halt reaches the operator lines',
  );
  const rejected = next('the halted bar', (e) => e.type === 'reject');
  fake.sendKline(bar('BTCUSDT', 1, 101), true);
  assert.equal(((await rejected) as { reason: string }).reason, 'trading_halted');

  fill = next('the flatten fill', (e) => e.type === 'fill');
  const flat = await handle.flatten();
  assert.equal(flat.ok, true);
  assert.equal(((await fill) as { side: string }).side, 'sell');
  assert.equal((await handle.resume()).state, 'ACTIVE');

  const { summary, exitCode, outDir } = await handle.stop();
  assert.equal(exitCode, 0);
  assert.equal(outDir, out);
  assert.deepEqual(summary, JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')));
  assert.equal(summary.fills, 2);
  assert.equal(summary.bars, 2);
  assert.equal(seen.at(-1)?.type, 'run_end');
  assert.deepEqual(await handle.done, { summary, exitCode, outDir, runId: handle.runId });
});

test('startSession(): realtime stays behind its gate; a misspelt option is refused with the nearest', async () => {
  const saved = process.env.FLAG_REALTIME;
  delete process.env.FLAG_REALTIME;
  try {
    await assert.rejects(
      startSession({ symbols: ['BTCUSDT'] }),
      (err: unknown) => err instanceof TradeloopError && err.code === 'TL_USAGE' && /FLAG_REALTIME/.test(err.message),
    );
  } finally {
    if (saved !== undefined) process.env.FLAG_REALTIME = saved;
  }
  await assert.rejects(
    startSession({ realtime: true, symbols: ['BTCUSDT'], staleAftr: 5 } as never),
    (err: unknown) => err instanceof TradeloopError && /no option "staleAftr"\. Did you mean staleAfter\?/.test(err.message),
  );
  await assert.rejects(
    startSession({ realtime: true, symbols: ['BTCUSDT'], from: '2024-01-01' } as never),
    (err: unknown) => err instanceof TradeloopError && /--from: only for --source csv/.test(err.message),
  );
});

test('startSession({ source: "nats" }): a session on the fleet stream from code, warmed up from it, deciding each bar it reads; a source it does not know is refused by name', {
  skip: natsSkip(),
}, async (t) => {
  const tape = await NatsTape.start(t, { server: 'own', stream: 'TL_API' });
  const base = Date.UTC(2024, 0, 1);
  for (let m = 0; m < 3; m++) await tape.publish(minuteBar('BTCUSDT', m, 100 + m, base));
  const out = join(await tempDir(t, 'tl-api-nats-'), 'run');
  const seen: TradeEvent[] = [];
  const next = waiter(seen);
  const handle = await startSession({
    realtime: true,
    source: 'nats',
    nats: tape.url,
    stream: 'TL_API',
    symbols: ['BTCUSDT'],
    lot: { BTCUSDT: '0.001' },
    staleAfter: 60,
    staleAlertAfter: 120,
    maxBarAge: 1_000_000,
    strategy: buyer,
    out,
    onEvent: (e) => seen.push(e),
  });
  // A test that fails midway must not leave the session running (stop() is idempotent).
  t.after(() => handle.stop().then(() => {}));
  const decided = next('the first bar after the warm-up decided', (e) => e.type === 'decision');
  const last = next('the last bar decided', (e) => e.type === 'decision' && e.openTime === base + 5 * MINUTE);
  for (let m = 3; m < 6; m++) await tape.publish(minuteBar('BTCUSDT', m, 100 + m, base));
  const first = await decided;
  assert.equal(first.type === 'decision' && first.openTime, base + 3 * MINUTE, 'the bars in the stream before the start are history, not decided');
  await last;
  const { summary, exitCode } = await handle.stop();
  assert.equal(exitCode, 0);
  const s = summary as unknown as { stream: unknown; decisions: number; feed: { closedBars: number } };
  assert.deepEqual(s.stream, { name: 'TL_API', server: tape.url });
  assert.equal(s.feed.closedBars, 3);
  const start = seen.find((e) => e.type === 'run_start') as { source?: string; stream?: string } | undefined;
  assert.deepEqual([start?.source, start?.stream], ['nats', 'TL_API']);
  await assert.rejects(
    startSession({ realtime: true, source: 'csv' as never, symbols: ['BTCUSDT'] }),
    (err: unknown) => err instanceof TradeloopError && /startSession\(\): source "csv"/.test(err.message) && /realtime, nats/.test(err.message),
  );
});
