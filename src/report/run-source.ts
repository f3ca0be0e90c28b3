/**
 * Where a report reads a run from. Today: the run folder (events.ndjson, summary.json, trades.csv,
 * equity.csv), each streamed, never loaded whole. The journal (a SQLite file in the state folder)
 * can be another RunSource with the same four readers.
 */
import { TradeloopError } from '../errors.ts';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../events/types.ts';
import { splitCsvLine } from '../sinks/csv-file.ts';
import { notRegularFile } from '../config/file-kind.ts';

export interface RunSource {
  /** A name for messages: the folder, or the journal file. */
  readonly label: string;
  summary(): RunSummary | null;
  /** events.ndjson's lines, raw (the reader parses only the kinds it needs). */
  eventLines(): AsyncIterable<string>;
  /** Rows of trades.csv / equity.csv as field arrays, after the header (null when the table is absent). */
  trades(): AsyncIterable<string[]> | null;
  equity(): AsyncIterable<string[]> | null;
  /** Bytes of events.ndjson, for progress. */
  readonly eventBytes: number;
}

/** A run folder's file that is no run's: refused by name, not read into memory. */
export class RunInputError extends TradeloopError {
  override name = 'RunInputError';
  constructor(message: string) {
    super('TL_RUN_INPUT', message);
  }
}

/** No line tradeloop writes comes near this (the log's are a few hundred bytes, its cap 64 KiB). */
const MAX_LINE_CHARS = 8 << 20;
const MAX_SUMMARY_BYTES = 16 << 20;

/** The path itself when it is a regular file (a link is followed: its target must be one too). */
function regularFile(path: string): string {
  const kind = notRegularFile(statSync(path));
  if (kind !== null) throw new RunInputError(`${path} is not a regular file (${kind}): a run's files are plain files.`);
  return path;
}

/** Lines of a file of any size, read a MiB at a time; a line may be longer than a chunk, not than MAX_LINE_CHARS. */
export async function* fileLines(path: string): AsyncGenerator<string> {
  let rest = '';
  let lineNo = 0;
  for await (const chunk of createReadStream(regularFile(path), { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      lineNo++;
      if (nl > start) yield text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
    if (rest.length > MAX_LINE_CHARS) {
      throw new RunInputError(`${path}:${lineNo + 1}: a line longer than ${MAX_LINE_CHARS} characters: not a file tradeloop wrote. Nothing was reported.`);
    }
  }
  if (rest.length > 0) yield rest;
}

async function* csvRows(path: string): AsyncGenerator<string[]> {
  let header = true;
  for await (const line of fileLines(path)) {
    if (header) {
      header = false;
      continue;
    }
    // Our tables quote only a symbol holding a comma or a quote (csvField): split on the rest.
    yield line.includes('"') ? splitCsvLine(line) : line.split(',');
  }
}

export class RunFolder implements RunSource {
  readonly label: string;
  readonly eventBytes: number;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.label = dir;
    const events = join(dir, 'events.ndjson');
    this.eventBytes = existsSync(events) ? statSync(events).size : 0;
  }

  /** Whether the folder holds a run (its events.ndjson). */
  static looksLikeRun(dir: string): boolean {
    return existsSync(join(dir, 'events.ndjson'));
  }

  summary(): RunSummary | null {
    const path = join(this.dir, 'summary.json');
    if (!existsSync(path)) return null;
    if (statSync(regularFile(path)).size > MAX_SUMMARY_BYTES)
      throw new RunInputError(`${path} is larger than ${MAX_SUMMARY_BYTES >> 20} MiB: not a summary tradeloop wrote.`);
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as RunSummary;
    } catch (err) {
      throw new RunInputError(`${path}: not JSON (${(err as Error).message.slice(0, 100)}).`);
    }
  }

  eventLines(): AsyncIterable<string> {
    return fileLines(join(this.dir, 'events.ndjson'));
  }

  trades(): AsyncIterable<string[]> | null {
    const path = join(this.dir, 'trades.csv');
    return existsSync(path) ? csvRows(path) : null;
  }

  equity(): AsyncIterable<string[]> | null {
    const path = join(this.dir, 'equity.csv');
    return existsSync(path) ? csvRows(path) : null;
  }
}
