/**
 * The writer thread's side of the numeric records (event-records.ts): bar and decision records
 * straight to the bytes of their NDJSON lines, with no string per line. Two lines a bar were most
 * of the writer thread's time as template strings (building, flattening, then encoding them);
 * here constant parts are bytes encoded once per symbol and numbers are written digit by digit.
 *
 * The bytes are exactly serializeBar's and serializeDecision's (serialize.ts): the same number
 * formats (formatPrice's shortest exact decimal, String() of a volume), the same JSON quoting of
 * symbols. A test compares the two over many records.
 */
import { REC_BAR, REC_LINE, RECORD_SIZE, type RecordBatch } from './event-records.ts';
import { bytes, put, putInt, putLots, putPrice, putVolume } from './byte-numbers.ts';

/** Where encoded lines go: a buffer with room, and how far it is filled. */
export interface ByteTarget {
  /** A buffer with at least `room` bytes free after `filled`, flushing first when needed. */
  reserve(room: number): Buffer;
  /** Bytes of the buffer reserve() returned that are filled. */
  readonly filled: number;
  /** The encoder filled the buffer up to `end`. */
  commit(end: number): void;
  /** A finished line (the events that are not records). */
  writeLine(line: string): void;
}

/** Bytes a record needs besides its constant head: eight numbers of at most 24 bytes, and the rest. */
export const RECORD_ROOM = 320;

export const SEQ = bytes('{"seq":');
export const OPEN = bytes(',"open":');
export const HIGH = bytes(',"high":');
export const LOW = bytes(',"low":');
export const CLOSE = bytes(',"close":');
export const VOLUME = bytes(',"volume":');
export const SOURCE = bytes(',"source":"');
export const ACTION = bytes(',"action":"');
export const QTY = bytes('","qty":');
export const INTENTS = bytes(',"intents":');
export const POSITION = bytes(',"position":');
export const EQUITY = bytes(',"equity":');

/**
 * A bar's line, from `{"seq":` to its newline: the one layout both byte paths write (from an event
 * in the loop's thread, from a record in the writer thread). `head` is the cached
 * `,"type":"bar","symbol":…,"interval":…,"openTime":` of its symbol; `source` the source's bytes.
 */
export function putBarLine(
  out: ByteTarget,
  seq: number,
  head: Uint8Array,
  openTime: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  source: Uint8Array,
): void {
  const b = out.reserve(head.length + source.length + RECORD_ROOM);
  let at = put(b, out.filled, SEQ);
  at = putInt(b, at, seq);
  at = put(b, at, head);
  at = putInt(b, at, openTime);
  at = put(b, at, OPEN);
  at = putPrice(b, at, open);
  at = put(b, at, HIGH);
  at = putPrice(b, at, high);
  at = put(b, at, LOW);
  at = putPrice(b, at, low);
  at = put(b, at, CLOSE);
  at = putPrice(b, at, close);
  at = put(b, at, VOLUME);
  at = putVolume(b, at, volume);
  at = put(b, at, SOURCE);
  at = put(b, at, source);
  b[at++] = 34; // "
  b[at++] = 125; // }
  b[at++] = 10;
  out.commit(at);
}

export class RecordEncoder {
  private readonly strings: string[] = [];
  /** Per string id: its bytes as they stand (action, source). */
  private raw: Array<Uint8Array | undefined> = [];
  /** Per (symbol id, interval id) of bar lines, and per symbol id of decision lines: the constant head. */
  private barHeads = new Map<number, Uint8Array>();
  private decisionHeads: Array<Uint8Array | undefined> = [];

  /** Takes the batch's interned strings (after a reset, a new table). */
  add(batch: RecordBatch): void {
    if (batch.reset) {
      this.strings.length = 0;
      this.raw = [];
      this.barHeads = new Map();
      this.decisionHeads = [];
    }
    for (const s of batch.newStrings) this.strings.push(s);
  }

  /** Writes every record of the batch, in order. */
  encode(batch: RecordBatch, out: ByteTarget): void {
    const n = batch.nums;
    for (let i = 0; i < batch.count; i++) {
      const r = i * RECORD_SIZE;
      const kind = n[r];
      if (kind === REC_LINE) {
        out.writeLine(batch.lines[n[r + 1]!]!);
        continue;
      }
      if (kind === REC_BAR) this.bar(n, r, out);
      else this.decision(n, r, out);
    }
  }

  private rawOf(id: number): Uint8Array {
    let hit = this.raw[id];
    if (hit === undefined) this.raw[id] = hit = bytes(this.strings[id]!);
    return hit;
  }

  private bar(n: Float64Array, r: number, out: ByteTarget): void {
    const symbolId = n[r + 2]!;
    const intervalId = n[r + 3]!;
    const key = symbolId * 65_536 + intervalId;
    let head = this.barHeads.get(key);
    if (head === undefined) {
      head = bytes(`,"type":"bar","symbol":${JSON.stringify(this.strings[symbolId])},"interval":${JSON.stringify(this.strings[intervalId])},"openTime":`);
      this.barHeads.set(key, head);
    }
    putBarLine(out, n[r + 1]!, head, n[r + 4]!, n[r + 5]!, n[r + 6]!, n[r + 7]!, n[r + 8]!, n[r + 9]!, this.rawOf(n[r + 10]!));
  }

  private decision(n: Float64Array, r: number, out: ByteTarget): void {
    const symbolId = n[r + 2]!;
    let head = this.decisionHeads[symbolId];
    if (head === undefined) this.decisionHeads[symbolId] = head = bytes(`,"type":"decision","symbol":${JSON.stringify(this.strings[symbolId])},"openTime":`);
    const action = this.rawOf(n[r + 4]!);
    const decimals = n[r + 9]!;
    const b = out.reserve(head.length + action.length + RECORD_ROOM);
    let at = put(b, out.filled, SEQ);
    at = putInt(b, at, n[r + 1]!);
    at = put(b, at, head);
    at = putInt(b, at, n[r + 3]!);
    at = put(b, at, ACTION);
    at = put(b, at, action);
    at = put(b, at, QTY);
    at = putLots(b, at, n[r + 5]!, decimals);
    at = put(b, at, INTENTS);
    at = putInt(b, at, n[r + 6]!);
    at = put(b, at, POSITION);
    at = putLots(b, at, n[r + 7]!, decimals);
    at = put(b, at, EQUITY);
    at = putPrice(b, at, n[r + 8]!);
    b[at++] = 125;
    b[at++] = 10;
    out.commit(at);
  }
}
