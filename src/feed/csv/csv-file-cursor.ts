/**
 * One CSV file as a cursor of parsed rows, refilled a chunk at a time. On open it reads the first
 * lines to learn the layout and the order: a newest-first file is then read backward, so it is
 * replayed oldest-first without being loaded.
 */
import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import { notRegularFile } from '../../config/file-kind.ts';
import type { Bar } from '../../domain/types.ts';
import type { SkipEvent } from '../../events/types.ts';
import { DataError } from '../data-error.ts';
import type { CsvLayout } from './csv-layout.ts';
import { isRowProblem, parseRow, type RowContext } from './csv-row.ts';
import { PROBE_LINES, probeStart, refuseCoarserSpacing, type StartProbe } from './csv-probe.ts';
import { checkTextFile } from './file-encoding.ts';
import type { FileIdentity } from './open-files.ts';
import { FileTally } from './skip-budget.ts';
import { ByteChunk, countLines, readLinesBackward, readLinesForward, type LineChunk } from './line-reader.ts';
import { ByteRowParser } from './csv-row-bytes.ts';
import type { DateOrder, ZoneOffsets } from '../../domain/time.ts';

export type BadRowPolicy = 'fail' | 'skip';

export interface CursorOptions {
  readonly interval: string;
  readonly zone: ZoneOffsets | null;
  readonly labelShiftMs: number;
  readonly onBadRow: BadRowPolicy;
  /** How day/month-first dates read (--date-format); absent or null: they are refused as ambiguous. */
  readonly dateOrder?: DateOrder | null;
  readonly chunkBytes?: number;
}

export class CsvFileCursor {
  readonly symbol: string;
  readonly path: string;
  readonly file: string;
  /** Rank of the symbol in --symbols, then of the file among the symbol's files: merge tie-breaks. */
  readonly rank: number;
  layout: CsvLayout | null = null;
  descending = false;
  /** Parsed rows not yet taken, with their line numbers. A SkipEvent marks a malformed row. */
  items: Array<Bar | SkipEvent> = [];
  lines: number[] = [];
  pos = 0;
  /** Rows taken from this file and the skips among them, counted by the merge. */
  readonly tally = new FileTally();
  /** Its symbol's order record in the merge (csv-source.ts), shared with the symbol's other files. */
  order: { last: number; next: number } | null = null;
  done = false;
  private chunks: AsyncGenerator<LineChunk> | null = null;
  /** Chunks read ahead by open() to learn the layout and the order, replayed first. */
  private pending: LineChunk[] = [];
  /** A bad row under --on-bad-row fail: thrown once the rows before it have been taken. */
  private failure: DataError | null = null;
  private ctx: RowContext | null = null;
  private bytes: ByteRowParser | null = null;
  private readonly options: CursorOptions;
  /** Lines up to and including the header are not rows. */
  private headerLine = 0;
  /** The file stat found at open: every read checks its path still names it (open-files.ts). */
  private ident: FileIdentity | undefined;

  constructor(symbol: string, path: string, rank: number, options: CursorOptions) {
    this.symbol = symbol;
    this.path = path;
    this.file = basename(path);
    this.rank = rank;
    this.options = options;
  }

  async open(): Promise<void> {
    let kind: string | null;
    try {
      const st = await stat(this.path);
      kind = notRegularFile(st);
      this.ident = { dev: st.dev, ino: st.ino };
    } catch {
      throw new DataError(`file not found: ${this.path} (for symbol ${this.symbol}). Check --data, or name the file with --file ${this.symbol}=PATH.`);
    }
    // A FIFO or a device never ends (or never starts): reading one would hang without a word.
    if (kind !== null) throw new DataError(`${this.path} (for symbol ${this.symbol}) is ${kind}, not a regular file: name a CSV file.`);
    await checkTextFile(this.path, this.file, this.ident);
    const forward = readLinesForward(this.path, this.options.chunkBytes, this.ident);
    let probe: StartProbe;
    try {
      probe = await probeStart(forward, {
        symbol: this.symbol,
        file: this.file,
        interval: this.options.interval,
        zone: this.options.zone,
        labelShiftMs: this.options.labelShiftMs,
        dateOrder: this.options.dateOrder ?? null,
      });
      refuseCoarserSpacing(probe.stamps, this.options.interval, this.file, probe.firstRowLine);
    } catch (err) {
      await forward.return(undefined);
      throw err;
    }
    this.ctx = probe.ctx;
    this.bytes = new ByteRowParser(probe.ctx);
    this.layout = probe.ctx.layout;
    this.headerLine = probe.headerLine;
    // The file's order is read from its first and last rows: one swapped pair at the top must not
    // turn a whole ascending file around. The first two rows that differ in time decide only if
    // the tail cannot be read. One row, or none, reads as ascending.
    const first = probe.stamps[0];
    const second = probe.stamps.find((t) => t !== first);
    if (first !== undefined && second !== undefined) {
      const last = await this.lastRowTime();
      this.descending = last !== null && last !== first ? last < first : second < first;
    }
    if (this.descending) {
      await forward.return(undefined);
      this.chunks = readLinesBackward(this.path, await countLines(this.path, this.options.chunkBytes, this.ident), this.options.chunkBytes, this.ident);
    } else {
      this.chunks = forward;
      this.pending = probe.buffered;
    }
  }

  /** openTime of the last row that parses, reading back at most PROBE_LINES lines. */
  private async lastRowTime(): Promise<number | null> {
    const tail = readLinesBackward(this.path, 0, Math.min(this.options.chunkBytes ?? 65_536, 65_536), this.ident);
    let seen = 0;
    try {
      for await (const chunk of tail) {
        for (const text of chunk.lines) {
          if (++seen > PROBE_LINES) return null;
          if (text.trim().length === 0) continue;
          const row = parseRow(text, this.ctx!);
          if (!isRowProblem(row)) return row.openTime;
        }
      }
    } catch (err) {
      // A line too long to read: the tail says nothing, and the full pass refuses it by its number.
      if (err instanceof DataError) return null;
      throw err;
    } finally {
      await tail.return(undefined);
    }
    return null;
  }

  /** Releases the file handle; the run may stop before the file ends (--minutes, a bad row). */
  async close(): Promise<void> {
    this.done = true;
    const chunks = this.chunks;
    this.chunks = null;
    this.pending = [];
    if (chunks !== null) await chunks.return(undefined);
  }

  /** Parses the next chunk. Resolves with items present, or with done set. */
  async refill(): Promise<void> {
    // Reused: the merge takes items one by one and keeps none of the arrays.
    this.items.length = 0;
    this.lines.length = 0;
    this.pos = 0;
    if (this.failure !== null) {
      await this.close();
      throw this.failure;
    }
    while (this.items.length === 0 && !this.done) {
      let chunk: LineChunk | undefined = this.pending.shift();
      if (chunk === undefined) {
        const next = await this.chunks!.next();
        if (next.done) {
          this.done = true;
          return;
        }
        chunk = next.value;
      }
      this.parseChunk(chunk);
      // The rows before a fatal bad row still go out (their decisions are not lost); refill throws next.
      if (this.failure !== null && this.items.length === 0) return this.refill();
    }
  }

  private parseChunk(chunk: LineChunk): void {
    if (chunk instanceof ByteChunk && this.bytes!.usable) return this.parseBytes(chunk);
    const step = this.descending ? -1 : 1;
    const headerLine = this.headerLine;
    let lineNo = chunk.firstLine;
    for (const text of chunk.lines) {
      const at = lineNo;
      lineNo += step;
      if (at <= headerLine || text.length === 0) continue;
      if (!this.parseText(text, at)) return;
    }
  }

  /** Forward chunks: each row from its bytes; a row the fast path cannot vouch for goes as text. */
  private parseBytes(chunk: ByteChunk): void {
    const parser = this.bytes!;
    const { bytes, starts, ends, count } = chunk;
    const headerLine = this.headerLine;
    const first = chunk.firstLine;
    for (let k = 0; k < count; k++) {
      const at = first + k;
      const start = starts[k]!;
      const end = ends[k]!;
      if (at <= headerLine || end === start) continue;
      const bar = parser.parse(bytes, start, end);
      if (bar !== null) {
        this.items.push(bar);
        this.lines.push(at);
      } else if (!this.parseText(bytes.toString('utf8', start, end), at)) return;
    }
  }

  /** One row as text; false when it stops the file (a bad row under --on-bad-row fail). */
  private parseText(text: string, at: number): boolean {
    const row = parseRow(text, this.ctx!);
    if (!isRowProblem(row)) {
      this.items.push(row);
      this.lines.push(at);
      return true;
    }
    if (text.trim().length === 0) return true;
    if (this.options.onBadRow === 'fail') {
      this.failure = new DataError(
        `${this.file}:${at}: bad row, field "${row.field}": ${row.message}. ` +
          'Fix the row, or pass --on-bad-row skip to skip bad rows (each becomes a skip event).',
      );
      return false;
    }
    this.items.push({
      type: 'skip',
      symbol: this.symbol,
      openTime: row.openTime,
      reason: 'malformed',
      origin: this.file,
      line: at,
      field: row.field,
      message: row.message,
    });
    this.lines.push(at);
    return true;
  }
}
