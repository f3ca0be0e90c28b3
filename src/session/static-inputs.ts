/**
 * What a static session reads, and what identifies it: the input files (refused by name when
 * missing, a folder or not a regular file; hashed before anything reads them), the run id hashed
 * from every option that decides the outputs, and the CSV source built from the config.
 */
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { notRegularFile } from '../config/file-kind.ts';
import type { Flags } from '../config/flags.ts';
import { nominalIntervalMs } from '../domain/interval.ts';
import { ZoneOffsets } from '../domain/time.ts';
import { UsageError } from '../errors.ts';
import type { InputFile } from '../events/types.ts';
import { CsvBarSource } from '../feed/csv/csv-source.ts';
import type { Strategy } from '../strategy/strategy.ts';
import { systemClock } from '../telemetry/clock.ts';
import { csvReadingKey } from './csv-run-checks.ts';
import { lotSizesOf } from './loop-parts.ts';
import { feeKey } from '../broker/fees.ts';
import { limitsKey, runIdOf, sha256File } from './run-id.ts';
import type { SessionConfig } from './session-config.ts';

/** Input files hashed before anything reads them; refused by name (a folder, a FIFO, a missing file). */
export async function hashInputs(opts: SessionConfig): Promise<InputFile[]> {
  checkDataDir(opts);
  const inputs: InputFile[] = [];
  for (const symbol of opts.symbols) {
    for (const path of opts.files.get(symbol) ?? []) {
      let sha256: string;
      try {
        const st = statSync(path);
        if (st.isDirectory())
          throw new UsageError(
            `${symbol}: ${path} is a folder, not a file. Use --data ${path} for a folder of <SYMBOL>.csv files, or --file ${symbol}=<a file>.`,
          );
        // Hashed before anything reads it: a FIFO or /dev/zero would hang the hash without a word.
        const kind = notRegularFile(st);
        if (kind !== null) throw new UsageError(`--file ${symbol}=${path}: ${kind}, not a regular file. Name a CSV file.`);
        sha256 = await sha256File(path);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        // The advice depends on where the path came from: --data's <SYMBOL>.csv, or the user's own --file.
        const fromData = path === join(opts.dataDir, `${symbol}.csv`);
        throw new UsageError(
          fromData
            ? `no data for ${symbol}: file not found: ${path}. Put ${symbol}.csv in --data ${opts.dataDir}, or name the file with --file ${symbol}=PATH.`
            : `--file ${symbol}=${path}: file not found. Check the path (relative paths start from ${process.cwd()}).`,
        );
      }
      inputs.push({ symbol, file: basename(path), sha256 });
    }
  }
  return inputs;
}

/** --data names a folder of <SYMBOL>.csv: a file or a missing folder is said as such, not as "SPY.csv/SPY.csv not found". */
function checkDataDir(opts: SessionConfig): void {
  const fromData = opts.symbols.filter((s) => opts.files.get(s)?.[0] === join(opts.dataDir, `${s}.csv`));
  if (fromData.length === 0) return;
  let isDir: boolean;
  try {
    isDir = statSync(opts.dataDir).isDirectory();
  } catch {
    throw new UsageError(
      `--data ${opts.dataDir}: no such folder. Name the folder that holds ${fromData.map((s) => `${s}.csv`).join(', ')} (relative paths start from ${process.cwd()}).`,
    );
  }
  if (!isDir)
    throw new UsageError(
      `--data ${opts.dataDir} is a file, not a folder: --data names a folder of <SYMBOL>.csv files. For one file, use --file ${fromData[0]}=${opts.dataDir}.`,
    );
}

/** The run id: a hash of everything that decides the run's outputs, and nothing else. */
export function staticRunId(opts: SessionConfig, flags: Flags, strategy: Strategy, strategyHash: string | null, inputs: readonly InputFile[]): string {
  return runIdOf({
    v: 1,
    source: 'csv',
    symbols: opts.symbols,
    interval: opts.interval,
    minutes: opts.minutes,
    from: opts.from,
    ...(opts.to !== null ? { to: opts.to } : {}),
    tz: opts.tz,
    barLabel: opts.barLabel,
    onBadRow: opts.onBadRow,
    strategy: strategy.name,
    strategyHash,
    params: opts.params,
    cash: opts.cashText,
    fee: feeKey(opts.fees, opts.symbols),
    slip: String(opts.slippageBpsE4),
    // Absent for close: the fills every run had before the flag, so their ids stay what they were.
    ...(opts.fillModel === 'close' ? {} : { fill: opts.fillModel }),
    // Always: every run has a cap (a run before the flag had none, so no id of then can be kept).
    participation: String(opts.maxParticipationE8),
    maxPos: String(opts.maxPositionNotional),
    maxGross: String(opts.maxGrossExposure),
    lotSizes: lotSizesOf(opts),
    inputs,
    halted: flags.tradingHalted,
    ...csvReadingKey(opts),
    ...limitsKey(opts),
    ...(opts.events === 'all' ? {} : { events: opts.events }),
  });
}

/** The config's CSV files as the session's bar source. */
export function csvSource(opts: SessionConfig): CsvBarSource {
  return new CsvBarSource({
    symbols: opts.symbols,
    files: opts.files,
    interval: opts.interval,
    zone: opts.tz !== null && opts.tz !== 'UTC' ? new ZoneOffsets(opts.tz) : null,
    labelShiftMs: opts.barLabel === 'end' ? nominalIntervalMs(opts.interval) : 0,
    onBadRow: opts.onBadRow,
    from: opts.from,
    windowMs: opts.minutes === null ? null : opts.minutes * 60_000,
    until: opts.to,
    dateOrder: opts.dateFormat,
    maxSkipRatio: opts.maxSkipRatio,
    // Stop signals, the halt file and operator commands get a turn at least every 50 ms.
    turns: { everyMs: 50, monotonic: systemClock.monotonic },
  });
}
