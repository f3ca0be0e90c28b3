/**
 * The bench's data set on disk, made once and reused: bench/.data/<key>/ holds one folder per
 * input size, each with <SYMBOL>.csv files for --data, and a manifest naming the parameters and the
 * files' sizes. A set is reused only when its manifest matches the parameters asked for and every
 * file is there with its recorded size; otherwise it is generated again.
 *
 * Smaller sizes are prefixes of the largest (the first N minutes of every symbol), copied by byte
 * range: same symbols, same shape, only a longer history. That keeps a memory comparison between
 * sizes honest — a reader that loaded whole files would show up as growth.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateSet, type PairSpec } from './generate.ts';

/** Bump when generate.ts changes its output, so old sets are not reused. */
const GENERATOR_VERSION = 1;

export interface DatasetParams {
  readonly pairs: readonly PairSpec[];
  /** Rows per symbol of the largest size. */
  readonly rowsPerSymbol: number;
  /** Rows per symbol of every size, the largest included. */
  readonly sizes: readonly number[];
  readonly seed: number;
  readonly startMs: number;
}

export interface SizeDir {
  readonly rowsPerSymbol: number;
  readonly bars: number;
  readonly dir: string;
  readonly bytes: number;
}

export interface Dataset {
  readonly root: string;
  readonly symbols: readonly string[];
  /** Smallest first. */
  readonly sizes: readonly SizeDir[];
  readonly reused: boolean;
  readonly generateMs: number;
}

interface Manifest {
  readonly generatorVersion: number;
  readonly symbols: readonly string[];
  readonly rowsPerSymbol: number;
  readonly sizes: readonly number[];
  readonly seed: number;
  readonly startMs: number;
  /** Relative path → bytes. */
  readonly files: Readonly<Record<string, number>>;
}

export function datasetKey(p: DatasetParams): string {
  return `static-${p.pairs.length}x${p.rowsPerSymbol}-seed${p.seed}`;
}

function sizeFolder(rows: number, symbols: number): string {
  return `bars-${rows * symbols}`;
}

/** Bytes free for an unprivileged writer on the file system holding `dir` (or its nearest parent). */
export function freeBytes(dir: string): number {
  let at = dir;
  while (!existsSync(at)) at = join(at, '..');
  const s = statfsSync(at);
  return s.bavail * s.bsize;
}

function copyPrefix(from: string, to: string, bytes: number): void {
  const src = openSync(from, 'r');
  const dst = openSync(to, 'w');
  try {
    const block = Buffer.allocUnsafe(1 << 20);
    let done = 0;
    while (done < bytes) {
      const n = readSync(src, block, 0, Math.min(block.length, bytes - done), done);
      if (n === 0) throw new Error(`${from}: ended at ${done} bytes, expected at least ${bytes}`);
      writeSync(dst, block, 0, n);
      done += n;
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

function matches(manifest: Manifest, root: string, expected: Omit<Manifest, 'files'>): boolean {
  const { files, ...params } = manifest;
  if (JSON.stringify(params) !== JSON.stringify(expected)) return false;
  return Object.entries(files).every(([rel, size]) => {
    const path = join(root, rel);
    return existsSync(path) && statSync(path).size === size;
  });
}

function describe(root: string, manifest: Manifest, reused: boolean, generateMs: number): Dataset {
  const sizes = [...manifest.sizes]
    .sort((a, b) => a - b)
    .map((rows) => {
      const folder = sizeFolder(rows, manifest.symbols.length);
      const bytes = manifest.symbols.reduce((sum, s) => sum + manifest.files[`${folder}/${s}.csv`]!, 0);
      return { rowsPerSymbol: rows, bars: rows * manifest.symbols.length, dir: join(root, folder), bytes };
    });
  return { root, symbols: manifest.symbols, sizes, reused, generateMs };
}

/** Roughly 60 bytes a row; used only to refuse early when the disk is too small. */
export const CSV_BYTES_PER_BAR = 64;

export function ensureDataset(base: string, params: DatasetParams, log: (line: string) => void): Dataset {
  const root = join(base, datasetKey(params));
  const manifestPath = join(root, 'manifest.json');
  const symbols = params.pairs.map((p) => p.symbol);
  const sizes = [...new Set([...params.sizes, params.rowsPerSymbol])].sort((a, b) => a - b);
  const expected = { generatorVersion: GENERATOR_VERSION, symbols, rowsPerSymbol: params.rowsPerSymbol, sizes, seed: params.seed, startMs: params.startMs };
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (matches(manifest, root, expected)) return describe(root, manifest, true, 0);
    log(`data set in ${root} does not match its manifest or the parameters: generating it again`);
  }

  const totalRows = sizes.reduce((a, b) => a + b, 0);
  const need = totalRows * symbols.length * CSV_BYTES_PER_BAR;
  const free = freeBytes(base);
  if (free < need * 1.2) {
    throw new Error(
      `not enough disk for the bench data: about ${(need / 1e9).toFixed(1)} GB needed in ${base}, ${(free / 1e9).toFixed(1)} GB free. ` +
        'Free some space or pass a smaller --bars.',
    );
  }
  rmSync(root, { recursive: true, force: true });
  const started = performance.now();
  const largest = sizes[sizes.length - 1]!;
  const fullFolder = sizeFolder(largest, symbols.length);
  log(
    `generating ${(largest * symbols.length).toLocaleString('en-US')} bars (${symbols.length} symbols × ${largest.toLocaleString('en-US')} minutes) into ${root} ...`,
  );
  const generated = generateSet({
    dir: join(root, fullFolder),
    pairs: params.pairs,
    rowsPerSymbol: largest,
    seed: params.seed,
    startMs: params.startMs,
    cuts: sizes.filter((s) => s !== largest),
  });
  const files: Record<string, number> = {};
  for (const g of generated) files[`${fullFolder}/${g.symbol}.csv`] = g.bytes;
  for (const rows of sizes) {
    if (rows === largest) continue;
    const folder = sizeFolder(rows, symbols.length);
    mkdirSync(join(root, folder), { recursive: true });
    for (const g of generated) {
      const bytes = g.cutBytes[String(rows)]!;
      copyPrefix(g.path, join(root, folder, `${g.symbol}.csv`), bytes);
      files[`${folder}/${g.symbol}.csv`] = bytes;
    }
  }
  const manifest: Manifest = { ...expected, files };
  // Written last: a set interrupted half-way has no manifest and is made again next time.
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return describe(root, manifest, false, performance.now() - started);
}
