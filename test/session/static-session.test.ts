/**
 * The static session as an object, without the command line around it: the same bars from CSV
 * files and from memory make the same events (the session does not care where bars come from),
 * and stop() ends the run after the batch in hand with status incomplete.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRunOptions } from '../../src/cli/run-options.ts';
import type { Bar } from '../../src/domain/types.ts';
import type { EventSink } from '../../src/events/event-bus.ts';
import { LotSteps } from '../../src/events/lot-steps.ts';
import { serializeEvent } from '../../src/events/serialize.ts';
import { MemoryBarSource } from '../../src/feed/memory-bar-source.ts';
import type { SessionConfig } from '../../src/session/session-config.ts';
import { StaticSession } from '../../src/session/static-session.ts';
import { loadStrategy } from '../../src/strategy/load-strategy.ts';
import { minuteBar } from '../feed/bar-source.contract.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const quiet = { stdout: () => {}, stderr: () => {} };

/** A wave on two symbols, so that sma-cross trades. */
function wave(symbol: string, base: number, n: number): Bar[] {
  return Array.from({ length: n }, (_, m) => minuteBar(symbol, m, base + Math.round(10 * Math.sin(m / 7))));
}

async function runWith(config: SessionConfig, bars?: { source: MemoryBarSource }): Promise<string[]> {
  const lines: string[] = [];
  const lots = LotSteps.of(config.instruments);
  const sink: EventSink = { write: (seq, event) => void lines.push(serializeEvent(seq, event, lots)) };
  const strategy = await loadStrategy('sma-cross', { fast: '3', slow: '8' });
  const session = await StaticSession.open({
    config,
    flags: { realtime: false, tradingHalted: false },
    strategy,
    strategyHash: null,
    terminal: quiet,
    sinks: [sink],
    ...(bars ? { bars: { source: bars.source, inputs: [] } } : {}),
  });
  const r = await session.run();
  assert.equal(r.exitCode, 0, r.error);
  return lines;
}

test('the same bars from CSV files and from memory make the same events', async (t) => {
  const dir = await tempDir(t, 'tl-session-');
  const bars = { SPY: wave('SPY', 500, 120), QQQ: wave('QQQ', 400, 120) };
  const price = (ticks: number): string => (ticks / 1e8).toFixed(2);
  for (const [symbol, list] of Object.entries(bars)) {
    const rows = list.map((b) => `${new Date(b.openTime).toISOString()},${price(b.open)},${price(b.high)},${price(b.low)},${price(b.close)},${b.volume}`);
    await writeFile(join(dir, `${symbol}.csv`), `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`);
  }
  const args = ['--symbols', 'SPY,QQQ', '--data', dir, '--param', 'fast=3', '--param', 'slow=8', '--quiet'];
  const fromFiles = await runWith(parseRunOptions([...args, '--out', join(dir, 'files')]) as SessionConfig);
  const fromMemory = await runWith(parseRunOptions([...args, '--out', join(dir, 'memory')]) as SessionConfig, {
    source: new MemoryBarSource({ symbols: ['SPY', 'QQQ'], bars, from: null, windowMs: null }),
  });
  assert.ok(fromFiles.filter((l) => l.includes('"type":"fill"')).length > 0, 'the strategy traded');
  // run_start names the input files (and their hashes) of the CSV run, and the run id hashes them:
  // everything else is the same, byte for byte.
  assert.equal(fromMemory.length, fromFiles.length);
  const sameBytes = fromMemory.slice(1, -1).every((line, i) => line === fromFiles[i + 1]);
  assert.ok(sameBytes, 'every event between run_start and run_end is the same');
  const withoutId = (line: string): string => line.replace(/"runId":"[0-9a-f]+"/, '');
  assert.equal(withoutId(fromMemory.at(-1)!), withoutId(fromFiles.at(-1)!));
});

test('stop() ends the run after the batch in hand: status incomplete, the summary written', async (t) => {
  const dir = await tempDir(t, 'tl-session-stop-');
  const source = new MemoryBarSource({ symbols: ['SPY'], bars: { SPY: wave('SPY', 500, 50) }, from: null, windowMs: null, batch: 10 });
  const config = parseRunOptions(['--symbols', 'SPY', '--out', join(dir, 'run'), '--quiet']) as SessionConfig;
  const session = await StaticSession.open({
    config,
    flags: { realtime: false, tradingHalted: false },
    strategy: await loadStrategy('hold', {}),
    strategyHash: null,
    terminal: quiet,
    bars: { source, inputs: [] },
  });
  let batches = 0;
  const r = await session.run(() => {
    if (++batches === 2) session.stop('a test');
  });
  assert.equal(r.exitCode, 0);
  assert.equal(r.summary?.status, 'incomplete');
  assert.equal(r.summary?.bars, 20, 'two batches of ten were decided, then it stopped');
  assert.match(r.summary?.incomplete ?? '', /stopped by a test after 20 bars/);
});
