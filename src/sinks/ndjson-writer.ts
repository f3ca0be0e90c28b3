/**
 * Appends event lines to events.ndjson, encoded into a reusable buffer (writing a megabyte-long
 * concatenated string made V8 flatten and re-encode it, a third of a static run).
 *
 * Two modes:
 * - durable (realtime): flush() writes synchronously, and the loop calls it after every turn of
 *   cycles, so whatever was decided is in the OS before the next turn and survives a crash of the
 *   process; close() also fsyncs.
 * - batched: full buffers go to libuv as positional writes from a small fixed pool; when every
 *   buffer is in flight the write is synchronous. That bound is the backpressure: memory stays
 *   flat however fast bars come.
 *
 * A write that fails (a full disk, EROFS, EIO) makes the writer failed for good: the next write,
 * flush or close throws an EventLogError naming the file and the cause (an asynchronous failure
 * included), so nothing is written past a hole and the caller can end the run.
 */
import { closeSync, constants, existsSync, fstatSync, fsyncSync, lstatSync, openSync, unlinkSync, write, writeSync } from 'node:fs';
import { NOFOLLOW } from '../session/own-folder.ts';
import type { EventSink } from '../events/event-bus.ts';
import { LotSteps } from '../events/lot-steps.ts';
import { serializeEvent } from '../events/serialize.ts';
import type { TradeEvent } from '../events/types.ts';
import { EventLogError } from './event-log-error.ts';
import type { ByteTarget } from './record-encoder.ts';
import { EventEncoder } from './event-encoder.ts';

const asciiSymbols = new Map<string, boolean>();
/** Bar and decision lines are ASCII but for the symbol (Binance testnet has 这是测试币456). */
function isAsciiLine(event: TradeEvent): boolean {
  if (event.type !== 'bar' && event.type !== 'decision') return false;
  let ascii = asciiSymbols.get(event.symbol);
  if (ascii === undefined) {
    ascii = /^[\x20-\x7e]*$/.test(event.symbol);
    if (asciiSymbols.size < 100_000) asciiSymbols.set(event.symbol, ascii);
  }
  return ascii;
}

/**
 * Creates (or truncates) an event log file, or opens it to be continued (a resumed session);
 * refused as an EventLogError naming it.
 */
export function openLogFile(path: string, append = false): number {
  try {
    // 'r+', not 'a': positional writes may complete out of order, and O_APPEND ignores positions.
    if (append && existsSync(path)) return openSync(path, constants.O_RDWR | NOFOLLOW);
    // An earlier file is replaced, not truncated: ext4 flushes a file truncated to nothing when it is
    // closed (auto_da_alloc), and closing a static run's log then waited ~0.2 s for its 700 MB to reach
    // the disk. Only a regular file is removed: anything else (a planted link) is refused by the open.
    if (lstatSync(path, { throwIfNoEntry: false })?.isFile()) unlinkSync(path);
    // Never through a link: a planted events.ndjson -> /some/file of the user's must not be overwritten.
    return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | NOFOLLOW, 0o644);
  } catch (err) {
    throw EventLogError.from(path, err, 'create');
  }
}

export interface NdjsonWriterOptions {
  /** Bytes per buffer (default 1 MiB). */
  readonly batchBytes?: number;
  /** Synchronous flushes, and an fsync on close (realtime). */
  readonly durable?: boolean;
  /** Buffers that may be in flight at once in batched mode (default 3). */
  readonly poolSize?: number;
  /** Write to this open descriptor (its owner closes it) instead of creating the file at `path`. */
  readonly fd?: number;
  /** Continue the file at its end (a resumed session) instead of starting it anew. */
  readonly append?: boolean;
  /** Each symbol's lot step, in which events' quantities are written: needed for events that carry one (a file of lines only needs none). */
  readonly lots?: LotSteps;
}

const NO_LOTS = new LotSteps(new Map());

export class NdjsonWriter implements EventSink, ByteTarget {
  readonly path: string;
  private readonly fd: number;
  private readonly batchBytes: number;
  private readonly durable: boolean;
  private buffer: Buffer;
  private used = 0;
  /** File offset of the next buffer: positional writes may complete in any order. */
  private position = 0;
  private readonly free: Buffer[] = [];
  private inFlight = 0;
  private failure: EventLogError | null = null;
  private drained: (() => void) | null = null;
  private closed = false;
  private readonly ownsFd: boolean;
  private readonly encoder: EventEncoder;
  private readonly lots: LotSteps;
  /** Durable mode: [used, committed, position] shared with the cycle watchdog (see shared()). */
  private readonly state: Float64Array | null = null;

  constructor(path: string, options: NdjsonWriterOptions = {}) {
    this.path = path;
    this.ownsFd = options.fd === undefined;
    this.fd = options.fd ?? openLogFile(path, options.append);
    if (options.append) this.position = fstatSync(this.fd).size;
    this.batchBytes = options.batchBytes ?? 1 << 20;
    this.durable = options.durable ?? false;
    this.lots = options.lots ?? NO_LOTS;
    this.encoder = new EventEncoder(this.lots);
    const pool = this.durable ? 0 : (options.poolSize ?? 3);
    for (let i = 0; i < pool; i++) this.free.push(Buffer.allocUnsafe(this.batchBytes + 4096));
    if (this.durable) {
      // One buffer, in shared memory: if a strategy ever hangs the loop's thread, the watchdog's
      // thread can still write the cycles committed before it (engine/cycle-watchdog.ts).
      this.buffer = Buffer.from(new SharedArrayBuffer(this.batchBytes + 4096));
      this.state = new Float64Array(new SharedArrayBuffer(3 * 8));
      this.state[2] = this.position; // a resumed log: the watchdog writes after what is there
    } else this.buffer = Buffer.allocUnsafe(this.batchBytes + 4096);
  }

  /** Durable mode: the file and the buffer as the watchdog thread may see them; null otherwise. */
  shared(): { fd: number; buffer: SharedArrayBuffer; state: SharedArrayBuffer } | null {
    if (this.state === null) return null;
    return { fd: this.fd, buffer: this.buffer.buffer as SharedArrayBuffer, state: this.state.buffer as SharedArrayBuffer };
  }

  /** Everything up to here is whole cycles: what the watchdog keeps if the next one never ends. */
  endCycle(): void {
    if (this.state !== null) this.state[1] = this.used;
  }

  write(seq: number, event: TradeEvent): void {
    if (this.failure) throw this.failure;
    // The lines of every bar go to the buffer as bytes; the rest as text.
    switch (event.type) {
      case 'bar':
        if (this.encoder.bar(this, seq, event)) return;
        break;
      case 'decision':
        if (this.encoder.decision(this, seq, event)) return;
        break;
      case 'latency':
        if (this.encoder.latency(this, seq, event)) return;
        break;
    }
    this.append(serializeEvent(seq, event, this.lots), isAsciiLine(event));
  }

  /** A finished line (serialised elsewhere, e.g. by the loop's thread). */
  writeLine(line: string): void {
    if (this.failure) throw this.failure;
    this.append(line, false);
  }

  /** For encoders that write bytes directly (record-encoder.ts): a buffer with `room` bytes free after `filled`. */
  reserve(room: number): Buffer {
    if (this.failure) throw this.failure;
    if (this.used + room > this.buffer.length) {
      this.flush();
      // Never in durable mode: a bar's record is a few hundred bytes, the buffer a megabyte.
      if (room > this.buffer.length) this.buffer = Buffer.allocUnsafe(room + this.batchBytes);
    }
    return this.buffer;
  }

  get filled(): number {
    return this.used;
  }

  /** The encoder filled the buffer reserve() returned up to `end`. */
  commit(end: number): void {
    this.used = end;
    if (end >= this.batchBytes) this.flush();
  }

  /** The failure that stopped this writer, if one did. */
  get failed(): EventLogError | null {
    return this.failure;
  }

  private append(line: string, ascii: boolean): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8.
    if (this.used + line.length * 3 + 1 > this.buffer.length) {
      this.flush();
      if (line.length * 3 + 1 > this.buffer.length) {
        this.writeAllSync(Buffer.from(line + '\n'), -1);
        if (this.state !== null) this.state[2] = this.position;
        return;
      }
    }
    // Latin-1 writing of an ASCII line is a plain copy, cheaper than UTF-8 encoding: two lines a bar.
    this.used += ascii ? this.buffer.write(line, this.used, 'latin1') : this.buffer.write(line, this.used);
    this.buffer[this.used++] = 10;
    if (this.used >= this.batchBytes) this.flush();
  }

  flush(): void {
    if (this.failure) throw this.failure;
    if (this.used === 0) return;
    const length = this.used;
    const at = this.position;
    this.position += length;
    const next = this.free.pop();
    if (next === undefined) {
      this.writeAllSync(this.buffer, length, at);
      this.used = 0;
      if (this.state !== null) {
        this.state[1] = 0;
        this.state[2] = this.position;
      }
      return;
    }
    const full = this.buffer;
    this.buffer = next;
    this.used = 0;
    this.inFlight++;
    this.writeAsync(full, 0, length, at);
  }

  private writeAsync(buf: Buffer, offset: number, length: number, at: number): void {
    write(this.fd, buf, offset, length, at, (err, written) => {
      if (err) this.failure ??= EventLogError.from(this.path, err);
      else if (written < length) return this.writeAsync(buf, offset + written, length - written, at + written);
      this.inFlight--;
      this.free.push(buf);
      if (this.inFlight === 0 && this.drained) this.drained();
    });
  }

  private writeAllSync(buf: Buffer, length: number, at = this.position): void {
    const total = length < 0 ? buf.length : length;
    if (length < 0) this.position += total;
    let done = 0;
    try {
      while (done < total) done += writeSync(this.fd, buf, done, total - done, at + done);
    } catch (err) {
      this.failure ??= EventLogError.from(this.path, err);
      throw this.failure;
    }
  }

  /** Flushes, waits for writes in flight, syncs and closes the file. */
  async close(): Promise<void> {
    if (this.closed) {
      if (this.failure) throw this.failure;
      return;
    }
    try {
      if (!this.failure) this.flush();
    } catch {
      // Recorded in this.failure, thrown below once the writes in flight are done.
    }
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.closed = true;
    try {
      // Realtime logs are synced: they are the record of a session. A static run is reproducible.
      if (this.durable && !this.failure) fsyncSync(this.fd);
    } catch (err) {
      this.failure = EventLogError.from(this.path, err);
    } finally {
      if (this.ownsFd) closeSync(this.fd);
    }
    if (this.failure) throw this.failure;
  }
}
