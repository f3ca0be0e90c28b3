/**
 * backtest() from code, in this process: the run the command line makes for the same options, a
 * factory function as the strategy, events as they happen, and refusals named as the flags are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { backtest, TradeloopError, type StrategyFactory, type TradeEvent } from '../../src/index.ts';
import { runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');

test("backtest() with a built-in makes the command line's run: the same summary and events.ndjson", async (t) => {
  const out = join(await tempDir(t, 'tl-api-'), 'run');
  const seen: TradeEvent[] = [];
  const r = await backtest({ symbols: ['SPY', 'QQQ'], data: SAMPLE, minutes: 120, params: { pct: 30 }, out, onEvent: (e) => seen.push(e) });
  const cli = await runCli(t, ['--symbols', 'SPY,QQQ', '--data', SAMPLE, '--minutes', '120', '--param', 'pct=30']);
  assert.equal(r.exitCode, 0);
  assert.deepEqual(r.summary, cli.summary);
  assert.equal(readFileSync(join(out, 'events.ndjson'), 'utf8'), cli.eventsText);
  assert.equal(seen.filter((e) => e.type === 'decision').length, r.summary.decisions);
  assert.ok(Object.isFrozen(seen[0]));
});

test('a factory function is a strategy; a bad option is a TradeloopError naming the flag', async (t) => {
  const everyTenth: StrategyFactory = () => {
    let n = 0;
    return { name: 'every-tenth', warmup: 0, onBar: (_b, ctx) => (++n % 10 === 0 ? [{ side: ctx.position > 0 ? 'sell' : 'buy', qty: 1 }] : []) };
  };
  const r = await backtest({ symbols: ['SPY'], data: SAMPLE, minutes: 100, strategy: everyTenth, out: join(await tempDir(t, 'tl-api-f-'), 'run') });
  assert.equal(r.summary.orders, 10);
  await assert.rejects(
    backtest({ symbols: ['SPY'], data: SAMPLE, cash: 'lots' }),
    (err: unknown) => err instanceof TradeloopError && /--cash lots/.test(err.message),
  );
  await assert.rejects(
    backtest({ symbols: ['SPY'], data: join(SAMPLE, 'nope') }),
    (err: unknown) => err instanceof TradeloopError && /--data .*nope/.test(err.message),
  );
});

test('a misspelt option is refused with a suggestion; symbols may be one comma-separated string', async (t) => {
  await assert.rejects(
    backtest({ symbols: ['SPY'], data: SAMPLE, cahs: 5 } as never),
    (err: unknown) => err instanceof TradeloopError && /no option "cahs"\. Did you mean cash\?/.test(err.message),
  );
  const r = await backtest({ symbols: 'SPY,QQQ', data: SAMPLE, minutes: 30, out: join(await tempDir(t, 'tl-api-s-'), 'run') });
  assert.equal(r.summary.bars, 60, '30 minutes of two symbols');
});
