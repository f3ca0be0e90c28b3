/**
 * Reads a text file in chunks of lines without ever holding the whole file: forward, or backward
 * for files written newest-first (which are then replayed oldest-first while still streaming).
 * Lines are split on the LF byte, which never occurs inside a UTF-8 sequence; a trailing CR is cut.
 */
import { open } from 'node:fs/promises';

export interface LineChunk {
  readonly lines: readonly string[];
  /** 1-based number of lines[0]. Forward chunks count up from it; backward chunks count down. */
  readonly firstLine: number;
}

// 128 KiB: large enough that reads are cheap; small enough that a parsed chunk dies young (1 MiB
// chunks over ten files pushed peak RSS to ~480 MiB of GC headroom, with no gain in speed).
const DEFAULT_CHUNK = 1 << 17;

function trimCr(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

export async function* readLinesForward(path: string, chunkBytes = DEFAULT_CHUNK): AsyncGenerator<LineChunk> {
  const handle = await open(path, 'r');
  try {
    let carry = Buffer.alloc(0);
    let lineNo = 1;
    const block = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(block, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, block.subarray(0, bytesRead)]) : block.subarray(0, bytesRead);
      const lastNl = data.lastIndexOf(10);
      if (lastNl < 0) {
        carry = Buffer.from(data);
        continue;
      }
      const lines = data.toString('utf8', 0, lastNl).split('\n');
      for (let i = 0; i < lines.length; i++) lines[i] = trimCr(lines[i]!);
      carry = Buffer.from(data.subarray(lastNl + 1));
      yield { lines, firstLine: lineNo };
      lineNo += lines.length;
    }
    if (carry.length > 0) yield { lines: [trimCr(carry.toString('utf8'))], firstLine: lineNo };
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
    let carry = Buffer.alloc(0);
    let lineNo = totalLines;
    let first = true;
    while (pos > 0) {
      const len = Math.min(chunkBytes, pos);
      pos -= len;
      const block = Buffer.allocUnsafe(len);
      await handle.read(block, 0, len, pos);
      let data = carry.length > 0 ? Buffer.concat([block, carry]) : block;
      if (first) {
        // A final LF ends the last line; it does not start an empty one.
        if (data.length > 0 && data[data.length - 1] === 10) data = data.subarray(0, data.length - 1);
        first = false;
      }
      let start = 0;
      if (pos > 0) {
        const firstNl = data.indexOf(10);
        if (firstNl < 0) {
          carry = Buffer.from(data);
          continue;
        }
        carry = Buffer.from(data.subarray(0, firstNl));
        start = firstNl + 1;
      } else carry = Buffer.alloc(0);
      const lines = data.toString('utf8', start).split('\n').reverse();
      for (let i = 0; i < lines.length; i++) lines[i] = trimCr(lines[i]!);
      yield { lines, firstLine: lineNo };
      lineNo -= lines.length;
    }
    if (carry.length > 0) yield { lines: [trimCr(carry.toString('utf8'))], firstLine: lineNo };
  } finally {
    await handle.close();
  }
}
