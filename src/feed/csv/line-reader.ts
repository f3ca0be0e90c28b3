/**
 * Reads a text file in chunks of lines without ever holding the whole file: forward, or backward
 * for files written newest-first (which are then replayed oldest-first while still streaming).
 * Lines are split on the LF byte, which never occurs inside a UTF-8 sequence; a trailing CR is cut.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { DataError } from '../data-error.ts';

export interface LineChunk {
  readonly lines: readonly string[];
  /** 1-based number of lines[0]. Forward chunks count up from it; backward chunks count down. */
  readonly firstLine: number;
}

// 128 KiB: large enough that reads are cheap; small enough that a parsed chunk dies young (1 MiB
// chunks over ten files pushed peak RSS to ~480 MiB of GC headroom, with no gain in speed).
const DEFAULT_CHUNK = 1 << 17;

/**
 * The longest line read, in bytes (a CR before the LF not counted). A bar row is a few hundred
 * bytes; a longer line is a binary file, a file without line breaks, or a corrupt one, and
 * assembling it would only cost memory before the same refusal.
 */
export const MAX_LINE_BYTES = 65_536;

function tooLong(path: string, line: number): DataError {
  return new DataError(`${basename(path)}:${line}: the line is longer than ${MAX_LINE_BYTES} bytes (64 KiB), where a row of bars takes a few hundred. ` +
    'Check that the file is a CSV of bars with one row per line.');
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

export async function* readLinesForward(path: string, chunkBytes = DEFAULT_CHUNK): AsyncGenerator<LineChunk> {
  const handle = await open(path, 'r');
  try {
    const pending = new Pending();
    let lineNo = 1;
    const block = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      if (pending.tooLong()) throw tooLong(path, lineNo);
      const { bytesRead } = await handle.read(block, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const got = block.subarray(0, bytesRead);
      const lastNl = got.lastIndexOf(10);
      // The block is reused by the next read: what stays pending is copied.
      if (lastNl < 0) {
        pending.add(Buffer.from(got), false);
        continue;
      }
      const data = pending.join(got.subarray(0, lastNl), false);
      pending.add(Buffer.from(got.subarray(lastNl + 1)), false);
      const lines = data.toString('utf8').split('\n');
      finishLines(lines, path, lineNo, 1);
      yield { lines, firstLine: lineNo };
      lineNo += lines.length;
    }
    if (pending.bytes > 0) {
      const lines = [pending.join(Buffer.alloc(0), false).toString('utf8')];
      finishLines(lines, path, lineNo, 1);
      yield { lines, firstLine: lineNo };
    }
  } finally {
    await handle.close();
  }
}

/** Number of lines as readLinesForward would yield them (a final line without LF counts). */
export async function countLines(path: string, chunkBytes = DEFAULT_CHUNK): Promise<number> {
  const handle = await open(path, 'r');
  try {
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
  } finally {
    await handle.close();
  }
}

/** Yields lines last to first. totalLines comes from countLines, so each line keeps its number. */
export async function* readLinesBackward(path: string, totalLines: number, chunkBytes = DEFAULT_CHUNK): AsyncGenerator<LineChunk> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    let pos = size;
    const pending = new Pending();
    let lineNo = totalLines;
    let first = true;
    while (pos > 0) {
      if (pending.tooLong()) throw tooLong(path, lineNo);
      const len = Math.min(chunkBytes, pos);
      pos -= len;
      let block = Buffer.allocUnsafe(len);
      await handle.read(block, 0, len, pos);
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
  } finally {
    await handle.close();
  }
}
