/**
 * One measured run, in a process of its own so that its peak RSS is its own (maxRSS never goes
 * down, so two runs in one process would share a peak). Spawned by bench/static.ts; prints one
 * JSON line (RunResult) on stdout when the process is about to exit.
 *
 * - floor: CsvBarSource over the files with a sink that only counts: reading, parsing and merging,
 *   nothing else. The loop cannot go faster than this on these files.
 * - loop: `tradeloop run --source csv` through the CLI's main(): default strategy (sma-cross), risk
 *   gate, paper broker, events.ndjson and summary.json, exactly what a user runs.
 *
 * The clock stops in the 'exit' handler, not when main() resolves: event-log writes still in flight
 * keep the process alive, and a run is not over until its log is on disk.
 */
import { statSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CsvBarSource } from '../../src/feed/csv/csv-source.ts';
import { main } from '../../src/cli/main.ts';

export type RunMode = 'floor' | 'loop';

export interface RunSpec {
  readonly mode: RunMode;
  readonly dataDir: string;
  readonly symbols: readonly string[];
  /** loop only: the --out folder (the caller deletes it). */
  readonly outDir?: string;
}

export interface RunResult {
  readonly mode: RunMode;
  readonly bars: number;
  readonly ms: number;
  /** process.resourceUsage().maxRSS, in KiB. */
  readonly maxRssKb: number;
  /** loop only: size of events.ndjson. */
  readonly eventsBytes: number | null;
}

async function floor(spec: RunSpec): Promise<number> {
  // The same files the CLI picks from --data: <dir>/<SYMBOL>.csv.
  const files = new Map(spec.symbols.map((s) => [s, [join(spec.dataDir, `${s}.csv`)]]));
  const source = new CsvBarSource({
    symbols: spec.symbols, files, interval: '1m', zone: null, labelShiftMs: 0, onBadRow: 'fail', from: null, windowMs: null,
  });
  let bars = 0;
  let other = 0;
  await source.open();
  await source.run({
    warmup: () => { other++; },
    bar: () => { bars++; },
    skip: () => { other++; },
  });
  if (other !== 0) throw new Error(`floor: ${other} warm-up or skipped rows in ${spec.dataDir}; the bench data should have none`);
  return bars;
}

async function loop(spec: RunSpec): Promise<number> {
  const outDir = spec.outDir;
  if (outDir === undefined) throw new Error('loop: outDir is required');
  let stderr = '';
  const code = await main(
    ['run', '--source', 'csv', '--symbols', spec.symbols.join(','), '--data', spec.dataDir, '--out', outDir, '--quiet'],
    { stdout: () => {}, stderr: (t) => { stderr += t; } },
    {},
  );
  if (code !== 0) throw new Error(`loop: tradeloop run exited ${code}: ${stderr.trim()}`);
  const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as { status: string; bars: number };
  if (summary.status !== 'ok') throw new Error(`loop: summary status ${summary.status}`);
  return summary.bars;
}

async function runOnce(spec: RunSpec): Promise<void> {
  const start = performance.now();
  const bars = spec.mode === 'floor' ? await floor(spec) : await loop(spec);
  process.once('exit', () => {
    const ms = performance.now() - start;
    const result: RunResult = {
      mode: spec.mode, bars, ms, maxRssKb: process.resourceUsage().maxRSS,
      eventsBytes: spec.mode === 'loop' ? statSync(join(spec.outDir!, 'events.ndjson')).size : null,
    };
    // Synchronous: nothing asynchronous runs once 'exit' has fired.
    writeSync(1, JSON.stringify(result) + '\n');
  });
}

if (import.meta.main) {
  const raw = process.argv[2];
  if (raw === undefined) {
    process.stderr.write('usage: node bench/lib/run-once.ts \'{"mode":"floor","dataDir":"...","symbols":["A"]}\'\n');
    process.exit(2);
  }
  await runOnce(JSON.parse(raw) as RunSpec);
}
