/**
 * What the static bench runs, each in a process of its own on the same files: tradeloop's CSV
 * reader alone (the floor), `tradeloop run` with the full log and with `--events trading`, and
 * the peers, the hand-written loop and indicatorts, doing the same job (SMA 10/30 crossings,
 * market fills). `isolated` is the full run with the same sma-cross loaded as a user module, which
 * runs on a thread of its own: what the barrier between a strategy and the loop costs. Every run
 * is checked: it must have seen every bar.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { timedProcess } from './timed-process.ts';

export type ScenarioName = 'csv' | 'full' | 'isolated' | 'trading' | 'hand' | 'indicatorts' | 'write';

export interface ScenarioRun {
  readonly name: ScenarioName;
  readonly bars: number;
  readonly wallMs: number;
  readonly maxRssKb: number;
  readonly cpuMs: number;
  /** csv: reading and parsing alone, in the process (start-up excluded). */
  readonly readMs?: number;
  /** full, trading: size of events.ndjson; write: bytes written. */
  readonly eventsBytes?: number;
  /** write: first write to close. */
  readonly writeMs?: number;
}

export interface ScenarioPlan {
  /** The tradeloop checkout measured (its bin/tradeloop.js and src/). */
  readonly code: string;
  readonly dataDir: string;
  readonly symbols: readonly string[];
  readonly bars: number;
  /** A folder for run outputs, emptied after each run. */
  readonly outDir: string;
}

const PEERS = fileURLToPath(new URL('../peers/', import.meta.url));
const LIB = fileURLToPath(new URL('./', import.meta.url));
export const SMA_PARAMS = ['--param', 'fast=10', '--param', 'slow=30'];

function files(plan: ScenarioPlan): string[] {
  return plan.symbols.map((s) => join(plan.dataDir, `${s}.csv`));
}

function expectBars(name: string, got: number, plan: ScenarioPlan): void {
  if (got !== plan.bars) throw new Error(`${name} on ${plan.dataDir} saw ${got} bars, expected ${plan.bars}`);
}

/** The built-in sma-cross of the measured checkout, as a user module (beside the run's output folder). */
function moduleStrategy(plan: ScenarioPlan): string {
  const file = join(plan.outDir, '..', 'sma-cross-module.ts');
  writeFileSync(file, `export { createSmaCross as default } from ${JSON.stringify(pathToFileURL(join(plan.code, 'src', 'strategy', 'sma-cross.ts')).href)};\n`);
  return file;
}

export async function runScenario(name: ScenarioName, plan: ScenarioPlan, writeBytes = 0): Promise<ScenarioRun> {
  rmSync(plan.outDir, { recursive: true, force: true });
  try {
    if (name === 'csv') {
      const r = await timedProcess(join(LIB, 'csv-floor.ts'), [plan.code, plan.dataDir, ...plan.symbols], plan.code);
      const out = JSON.parse(r.stdout.trim()) as { bars: number; readMs: number };
      expectBars(name, out.bars, plan);
      return { name, bars: out.bars, wallMs: r.wallMs, maxRssKb: r.maxRssKb, cpuMs: r.cpuMs, readMs: out.readMs };
    }
    if (name === 'full' || name === 'trading' || name === 'isolated') {
      const args = [
        'run',
        '--source',
        'csv',
        '--symbols',
        plan.symbols.join(','),
        '--data',
        plan.dataDir,
        '--out',
        plan.outDir,
        '--quiet',
        ...SMA_PARAMS,
        ...(name === 'trading' ? ['--events', 'trading'] : []),
        ...(name === 'isolated' ? ['--strategy', moduleStrategy(plan)] : []),
      ];
      const r = await timedProcess(join(plan.code, 'bin', 'tradeloop.js'), args, plan.code);
      const summary = JSON.parse(readFileSync(join(plan.outDir, 'summary.json'), 'utf8')) as { status: string; bars: number; decisions: number };
      if (summary.status !== 'ok' || summary.decisions !== summary.bars)
        throw new Error(`${name}: summary status ${summary.status}, ${summary.decisions} decisions for ${summary.bars} bars`);
      expectBars(name, summary.bars, plan);
      return {
        name,
        bars: summary.bars,
        wallMs: r.wallMs,
        maxRssKb: r.maxRssKb,
        cpuMs: r.cpuMs,
        eventsBytes: statSync(join(plan.outDir, 'events.ndjson')).size,
      };
    }
    if (name === 'write') {
      mkdirSync(plan.outDir, { recursive: true });
      const r = await timedProcess(join(LIB, 'write-floor.ts'), [join(plan.outDir, 'floor.bin'), String(writeBytes)], plan.code);
      const out = JSON.parse(r.stdout.trim()) as { bytes: number; writeMs: number };
      return { name, bars: plan.bars, wallMs: r.wallMs, maxRssKb: r.maxRssKb, cpuMs: r.cpuMs, eventsBytes: out.bytes, writeMs: out.writeMs };
    }
    const script = join(PEERS, name === 'hand' ? 'hand-loop.ts' : 'indicatorts-sma.ts');
    const r = await timedProcess(script, files(plan), fileURLToPath(new URL('../../', import.meta.url)));
    const out = JSON.parse(r.stdout.trim()) as { bars: number };
    expectBars(name, out.bars, plan);
    return { name, bars: out.bars, wallMs: r.wallMs, maxRssKb: r.maxRssKb, cpuMs: r.cpuMs };
  } finally {
    // A full log of 2M bars is ~700 MB: never kept.
    rmSync(plan.outDir, { recursive: true, force: true });
  }
}
