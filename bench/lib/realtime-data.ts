/**
 * The realtime bench's data: N synthetic USDT pairs (S0001USDT, S0002USDT, ...) of contiguous 24/7
 * one-minute bars, one header CSV per symbol in bench/.data/realtime-<key>/, made once by
 * bench/lib/generate.ts and reused while its manifest matches. Each pair borrows the price level,
 * tick, lot and volatility of one of generate.ts's ten real pairs, in turn.
 *
 * The first `historyBars` minutes are history: the replay server closes them before its tape starts
 * (startAt), so the client's start-up REST check loads the strategy's warm-up from them and the
 * first live bar follows the last closed one: no gap, no backfill.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSet, PAIRS, type PairSpec } from './generate.ts';

/** Bump when this file or generate.ts changes what is written, so old sets are not reused. */
const GENERATOR_VERSION = 1;

export interface RealtimeDataParams {
  readonly symbols: number;
  /** History plus live bars, per symbol. */
  readonly rowsPerSymbol: number;
  readonly seed: number;
  readonly startMs: number;
}

export interface RealtimeData {
  readonly dir: string;
  readonly symbols: readonly string[];
  readonly rowsPerSymbol: number;
  readonly startMs: number;
  readonly bytes: number;
  readonly reused: boolean;
}

export function syntheticSymbol(index: number): string {
  return `S${String(index + 1).padStart(4, '0')}USDT`;
}

export function syntheticPairs(count: number): PairSpec[] {
  return Array.from({ length: count }, (_, i) => ({ ...PAIRS[i % PAIRS.length]!, symbol: syntheticSymbol(i) }));
}

interface Manifest {
  readonly generatorVersion: number;
  readonly params: RealtimeDataParams;
  /** File name → bytes. */
  readonly files: Readonly<Record<string, number>>;
}

export function ensureRealtimeData(base: string, params: RealtimeDataParams): RealtimeData {
  const dir = join(base, `realtime-${params.symbols}x${params.rowsPerSymbol}-seed${params.seed}`);
  const manifestPath = join(dir, 'manifest.json');
  const pairs = syntheticPairs(params.symbols);
  const symbols = pairs.map((p) => p.symbol);
  const described = (files: Readonly<Record<string, number>>, reused: boolean): RealtimeData => ({
    dir,
    symbols,
    rowsPerSymbol: params.rowsPerSymbol,
    startMs: params.startMs,
    bytes: Object.values(files).reduce((a, b) => a + b, 0),
    reused,
  });
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    const same =
      m.generatorVersion === GENERATOR_VERSION &&
      JSON.stringify(m.params) === JSON.stringify(params) &&
      Object.entries(m.files).every(([name, size]) => existsSync(join(dir, name)) && statSync(join(dir, name)).size === size);
    if (same) return described(m.files, true);
  }
  rmSync(dir, { recursive: true, force: true });
  const generated = generateSet({ dir, pairs, rowsPerSymbol: params.rowsPerSymbol, seed: params.seed, startMs: params.startMs, cuts: [] });
  const files: Record<string, number> = {};
  for (const g of generated) files[`${g.symbol}.csv`] = g.bytes;
  const manifest: Manifest = { generatorVersion: GENERATOR_VERSION, params, files };
  // Written last: a set interrupted half-way has no manifest and is made again next time.
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return described(files, false);
}
