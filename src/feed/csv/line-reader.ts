/**
 * Reads a text file in chunks of lines without ever holding the whole file: forward, or backward
 * for files written newest-first (which are then replayed oldest-first while still streaming).
 * Lines are split on the LF byte, which never occurs inside a UTF-8 sequence; a trailing CR is cut.
 */
import { basename } from 'node:path';
import { DataError } from '../data-error.ts';
import { type FileIdentity, readAt, withFile } from './open-files.ts';

export interface LineChunk {
  readonly lines: readonly string[];
  /** 1-based number of lines[0]. Forward chunks count up from it; backward chunks count down. */
  readonly firstLine: number;
}

/**
 * A forward chunk as bytes: line k is bytes[starts[k], ends[k]) (its CR cut), so rows are parsed
 * without a string per line; `lines` decodes them only when asked (the start probe does).
 */
export class ByteChunk implements LineChunk {
  readonly bytes: Buffer;
  readonly firstLine: number;
  readonly count: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  private decoded: string[] | null = null;

  constructor(bytes: Buffer, firstLine: number, count: number, starts: Int32Array, ends: Int32Array) {
    this.bytes = bytes;
    this.firstLine = firstLine;
    this.count = count;
    this.starts = starts;
    this.ends = ends;
  }

  get lines(): readonly string[] {
    if (this.decoded === null) {
      const out: string[] = [];
      for (let k = 0; k < this.count; k++) out.push(this.bytes.toString('utf8', this.starts[k], this.ends[k]));
      this.decoded = out;
    }
    return this.decoded;
  }
}

/**
 * Finds the lines of `data` (LF-separated, without a final LF), cuts their CRs and refuses one past
 * MAX_LINE_BYTES exactly as finishLines does for text: a line of at most MAX_LINE_BYTES / 3 bytes
 * cannot pass it (a byte decodes to at most 3), so only longer ones are decoded and measured.
 */
function splitBytes(data: Buffer, path: string, first: number): ByteChunk {
  let capacity = 256;
  let starts = new Int32Array(capacity);
  let ends = new Int32Array(capacity);
  let count = 0;
  let from = 0;
  for (;;) {
    const nl = data.indexOf(10, from);
    let end = nl < 0 ? data.length : nl;
    if (end > from && data[end - 1] === 13) end--;
    if (end - from > MAX_LINE_BYTES / 3) {
      const line = data.toString('utf8', from, end);
      if (line.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(line) > MAX_LINE_BYTES) throw tooLong(path, first + count);
    }
    if (count === capacity) {
      capacity *= 2;
      const s2 = new Int32Array(capacity);
      const e2 = new Int32Array(capacity);
      s2.set(starts);
      e2.set(ends);
      starts = s2;
      ends = e2;
    }
    starts[count] = from;
    ends[count] = end;
    count++;
    if (nl < 0) break;
    from = nl + 1;
  }
  return new ByteChunk(data, first, count, starts, ends);
}

// 128 KiB: large enough that reads are cheap; small enough that a parsed chunk dies young (1 MiB
// chunks over ten files pushed peak RSS to ~480 MiB of GC headroom, with no gain in speed).
export const DEFAULT_CHUNK = 1 << 17;
/** A read past the size a file had when opened: enough to find it grew, small enough to cost nothing when it did not. */
const TAIL_PROBE_BYTES = 4096;

/**
 * The longest line read, in bytes (a CR before the LF not counted). A bar row is a few hundred
 * bytes; a longer line is a binary file, a file without line breaks, or a corrupt one, and
 * assembling it would only cost memory before the same refusal.
 */
export const MAX_LINE_BYTES = 65_536;

function tooLong(path: string, line: number): DataError {
  return new DataError(
    `${basename(path)}:${line}: the line is longer than ${MAX_LINE_BYTES} bytes (64 KiB), where a row of bars takes a few hundred. ` +
      'Check that the file is a CSV of bars with one row per line.',
  );
}

function trimCr(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/** Trims each line's CR in place and refuses one past MAX_LINE_BYTES; lines[k] is line first + k * step. */
function finishLines(lines: string[], path: string, first: number, step: 1 | -1): void {
  for (let i = 0; i < lines.length; i++) {
    const line = trimCr(lines[i]!);
    lines[i] = line;
    // A UTF-16 unit is at most 3 bytes of UTF-8 (4 for a surrogate pair, 2 units): only long lines need counting.
    if (line.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(line) > MAX_LINE_BYTES) throw tooLong(path, first + i * step);
  }
}

/**
 * The bytes of an unfinished line, kept as the pieces read and joined once when its end arrives,
 * so a long line costs its length, not its length squared.
 */
class Pending {
  parts: Buffer[] = [];
  bytes = 0;

  add(piece: Buffer, atStart: boolean): void {
    if (piece.length === 0) return;
    if (atStart) this.parts.unshift(piece);
    else this.parts.push(piece);
    this.bytes += piece.length;
  }

  /** Past the limit even with one CR to spare. */
  tooLong(): boolean {
    return this.bytes > MAX_LINE_BYTES + 1;
  }

  /** The pending bytes joined with `piece` before (backward) or after (forward) them; empties this. */
  join(piece: Buffer, atStart: boolean): Buffer {
    if (this.parts.length === 0) return piece;
    const all = atStart ? [piece, ...this.parts] : [...this.parts, piece];
    this.parts = [];
    this.bytes = 0;
    return Buffer.concat(all);
  }
}

/** Chunks of lines first to last, as bytes (ByteChunk); a chunk is the lines one read completed. */
export async function* readLinesForward(path: string, chunkBytes = DEFAULT_CHUNK, ident?: FileIdentity): AsyncGenerator<ByteChunk> {
  // No file is held open between reads (open-files.ts): a run may read more files than it may open.
  // One read ahead: the next block is on its way while the consumer parses this one.
  let ahead: Promise<{ bytesRead: number; buffer: Buffer }> | null = null;
  try {
    const pending = new Pending();
    let lineNo = 1;
    let offset = 0;
    // A block of its own per read: a chunk's bytes are its lines, and a consumer may hold several.
    // No bigger than what is left of the file: a run over 1,000 small files allocated 256 MiB of
    // blocks (the read and the read ahead of 128 KiB each), and V8 answered that outside memory
    // with 50 full collections. Past the size found at open a small block looks for more (a file
    // still being written), so the reads and their chunks are the same as before.
    const stat = await withFile(path, (handle) => handle.stat(), ident);
    const size = stat.isFile() ? stat.size : Infinity;
    const readNext = (at: number) => {
      const bytes = Math.min(chunkBytes, Math.max(size - at, TAIL_PROBE_BYTES));
      const read = readAt(path, Buffer.allocUnsafe(bytes), bytes, at, ident);
      // It may fail while the consumer holds the chunk before it: the failure is thrown when awaited, not reported unhandled meanwhile.
      read.catch(() => undefined);
      return read;
    };
    ahead = readNext(0);
    for (;;) {
      if (pending.tooLong()) throw tooLong(path, lineNo);
      const { bytesRead, buffer: block } = await ahead;
      ahead = null;
      if (bytesRead === 0) break;
      offset += bytesRead;
      ahead = readNext(offset);
      const got = block.subarray(0, bytesRead);
      const lastNl = got.lastIndexOf(10);
      if (lastNl < 0) {
        pending.add(got, false);
        continue;
      }
      const data = pending.join(got.subarray(0, lastNl), false);
      pending.add(got.subarray(lastNl + 1), false);
      const chunk = splitBytes(data, path, lineNo);
      yield chunk;
      lineNo += chunk.count;
    }
    if (pending.bytes > 0) {
      const chunk = splitBytes(pending.join(Buffer.alloc(0), false), path, lineNo);
      yield chunk;
    }
  } finally {
    // A read still in flight is let land (its file closes after it), and its failure is not left unhandled.
    if (ahead !== null) await ahead.catch(() => undefined);
  }
}

/** Number of lines as readLinesForward would yield them (a final line without LF counts). */
export function countLines(path: string, chunkBytes = DEFAULT_CHUNK, ident?: FileIdentity): Promise<number> {
  return withFile(
    path,
    async (handle) => {
      const block = Buffer.allocUnsafe(chunkBytes);
      let count = 0;
      let last = 10;
      for (;;) {
        const { bytesRead } = await handle.read(block, 0, chunkBytes, null);
        if (bytesRead === 0) break;
        let at = block.indexOf(10, 0);
        while (at >= 0 && at < bytesRead) {
          count++;
          at = block.indexOf(10, at + 1);
        }
        last = block[bytesRead - 1]!;
      }
      return last === 10 ? count : count + 1;
    },
    ident,
  );
}

/** Yields lines last to first. totalLines comes from countLines, so each line keeps its number. */
export async function* readLinesBackward(path: string, totalLines: number, chunkBytes = DEFAULT_CHUNK, ident?: FileIdentity): AsyncGenerator<LineChunk> {
  const { size } = await withFile(path, (handle) => handle.stat(), ident);
  let pos = size;
  const pending = new Pending();
  let lineNo = totalLines;
  let first = true;
  while (pos > 0) {
    if (pending.tooLong()) throw tooLong(path, lineNo);
    const len = Math.min(chunkBytes, pos);
    pos -= len;
    let block = Buffer.allocUnsafe(len);
    await readAt(path, block, len, pos, ident);
    if (first) {
      // A final LF ends the last line; it does not start an empty one.
      if (block.length > 0 && block[block.length - 1] === 10) block = block.subarray(0, block.length - 1);
      first = false;
    }
    let lineBytes: Buffer;
    if (pos > 0) {
      const firstNl = block.indexOf(10);
      if (firstNl < 0) {
        pending.add(block, true);
        continue;
      }
      lineBytes = pending.join(block.subarray(firstNl + 1), true);
      pending.add(block.subarray(0, firstNl), true);
    } else lineBytes = pending.join(block, true);
    const lines = lineBytes.toString('utf8').split('\n').reverse();
    finishLines(lines, path, lineNo, -1);
    yield { lines, firstLine: lineNo };
    lineNo -= lines.length;
  }
  if (pending.tooLong()) throw tooLong(path, lineNo);
  if (pending.bytes > 0) {
    const lines = [pending.join(Buffer.alloc(0), true).toString('utf8')];
    finishLines(lines, path, lineNo, -1);
    yield { lines, firstLine: lineNo };
  }
}
