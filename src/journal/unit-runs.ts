/**
 * Runs of cycles, one `units` row each (journal version 3). Each cycle was a row of its own (its bar
 * and decision folded into it: sqlite-units.ts), and SQLite's cost was the row, not its bytes: a row
 * of 22 values and a row of one 90-byte blob cost the same ~2 µs, 64 units in one blob ~0.2 µs each.
 * So the consecutive cycles of a transaction go into one row: kind `cycles`, the first unit's first
 * seq, the last unit's last seq, the segment, the newest stream cursor, how many units (`cycles`),
 * and in `packed` each unit's row values (every column but the segment, which they share), in
 * column order. A cycle here is any unit whose first event is a bar (sqlite-journal.ts appendNow):
 * a cycle with fills and orders is in a run too, its other events (a fill, an order) in their typed
 * tables, naming the run's row: each unit's are those up to its last seq.
 *
 * A value is a tag byte and its bytes: null; the value the unit before had in that column; a safe
 * integer as a base-128 varint of its magnitude, or from 2^28 to 2^48 that magnitude in 6 bytes (its
 * sign in the tag); any other integer as 8 bytes;
 * a float (a REAL column's value) as 8 bytes; a text as its UTF-8 length and bytes. Read back, each
 * unit is the row SQLite would have given for it (integers as BigInts, REAL as numbers, NaN as
 * NULL, -0 as 0), so the rest of the reader does not know the difference; that holds for values of
 * their column's type (unitParams' are: no text in a number's column, no number in a text's). A run
 * holds only units whose seqs follow on (each unit's first seq is the last one's plus one).
 */
import { JournalError } from './journal.ts';

/** What SQLite makes of a column's values (its declared type). */
export type Affinity = 'TEXT' | 'INTEGER' | 'REAL';

export type RowValue = string | number | bigint | null;

export interface UnitColumn {
  readonly name: string;
  readonly affinity: Affinity;
}

/** The columns every unit of a run shares, kept once in the run's own row. */
export const SHARED_COLUMNS: readonly string[] = ['segment'];

/** The `kind` of a row that holds a run. */
export const RUN_KIND = 'cycles';
/** The first byte of `packed`: the encoding below. */
const FORMAT = 1;
/** A run holds at most this many units (a row of ~100 KiB). */
export const MAX_RUN = 1024;

const T_NULL = 0;
const T_POS = 1;
const T_NEG = 2;
const T_FLOAT = 3;
const T_INT64 = 4;
const T_TEXT = 5;
/** The value the unit before had in this column (a cycle's kind and stream, and often its action, repeat). */
const T_SAME = 6;
/** A safe integer of 2^28 or more (a price or equity in 1e-8 units, a time): its magnitude in 6 bytes, below 2^48. */
const T_POS48 = 7;
const T_NEG48 = 8;
const TWO_28 = 2 ** 28;
const TWO_32 = 2 ** 32;
const TWO_48 = 2 ** 48;

/** Writes a magnitude (a safe integer, 0 or more) as a base-128 varint at `at`; returns where it ends. */
function putVarint(buf: Uint8Array, at: number, m: number): number {
  // In doubles while it does not fit 31 bits, then in 32-bit arithmetic (most values fit from the start).
  while (m >= 0x80000000) {
    buf[at++] = (m % 128) | 128;
    m = Math.floor(m / 128);
  }
  while (m >= 128) {
    buf[at++] = (m & 127) | 128;
    m >>>= 7;
  }
  buf[at++] = m;
  return at;
}

/**
 * Writes a safe integer at `at` (room for 9 bytes is the caller's) and returns where it ends: its
 * magnitude as a varint, but from 2^28 to 2^48 in six bytes (a price in 1e-8 units as a varint took
 * six divisions in doubles, most of the journal thread's packing).
 */
function putInt(buf: Uint8Array, at: number, v: number): number {
  const negative = v < 0;
  const m = negative ? -v : v;
  if (m < TWO_28 || m >= TWO_48) {
    buf[at++] = negative ? T_NEG : T_POS;
    return putVarint(buf, at, m);
  }
  buf[at++] = negative ? T_NEG48 : T_POS48;
  const lo = m >>> 0; // m mod 2^32, exact below 2^53
  const hi = (m - lo) / TWO_32;
  buf[at++] = lo & 255;
  buf[at++] = (lo >>> 8) & 255;
  buf[at++] = (lo >>> 16) & 255;
  buf[at++] = lo >>> 24;
  buf[at++] = hi & 255;
  buf[at++] = hi >>> 8;
  return at;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The consecutive cycles of one transaction, packed as they come; `take` ends the run. */
export class RunPacker {
  private buf = new Uint8Array(64 * 1024);
  private view = new DataView(this.buf.buffer);
  private at = 0;
  /** Units in the run so far. */
  count = 0;
  firstSeq = 0;
  lastSeq = 0;
  /** The newest stream cursor its units had (what lastCursor reads: a unit without one does not clear it), null when none had one. */
  cursor: number | null = null;
  private readonly affinities: readonly Affinity[];
  /** Per value: whether it is packed (false for the columns the run row holds once: SHARED_COLUMNS). */
  private readonly packs: readonly boolean[];
  /** The values of the run's unit before (what T_SAME refers to). */
  private prev: readonly RowValue[] = [];
  /** The index in a unit's values of its first seq, last seq and cursor (the row's own columns). */
  private readonly firstAt: number;
  private readonly lastAt: number;
  private readonly cursorAt: number;

  /** `columns`: the values' columns, in the order `add` is given them. */
  constructor(columns: readonly UnitColumn[]) {
    this.affinities = columns.map((c) => c.affinity);
    this.packs = columns.map((c) => !SHARED_COLUMNS.includes(c.name));
    const at = (name: string): number => columns.findIndex((c) => c.name === name);
    this.firstAt = at('first_seq');
    this.lastAt = at('last_seq');
    this.cursorAt = at('cursor');
  }

  /** Whether a unit with this first seq can join the run (it follows on, and the run has room). */
  takes(firstSeq: number): boolean {
    return this.count === 0 || (firstSeq === this.lastSeq + 1 && this.count < MAX_RUN);
  }

  add(values: readonly RowValue[]): void {
    if (this.count === 0) {
      this.at = 0;
      this.byte(FORMAT);
      this.firstSeq = Number(values[this.firstAt]);
      this.cursor = null;
      this.prev = [];
    }
    this.count++;
    this.lastSeq = Number(values[this.lastAt]);
    const cursor = values[this.cursorAt];
    if (cursor !== null && cursor !== undefined) this.cursor = Number(cursor);
    const aff = this.affinities;
    const packs = this.packs;
    const prev = this.prev;
    const same = prev.length === values.length;
    // Runs once a cycle on the journal's thread: the commonest values (a repeat, a safe integer) are written here, the rest by value().
    // Room for every value at its widest but a text (9 bytes: a tag and 8), so the quick writes below need no check.
    this.room(aff.length * 9);
    let buf = this.buf;
    for (let i = 0; i < aff.length; i++) {
      if (!packs[i]) continue;
      const v = values[i] ?? null;
      if (same && v === prev[i]) {
        buf[this.at++] = T_SAME;
        continue;
      }
      if (typeof v === 'number' && aff[i] === 'INTEGER' && Number.isSafeInteger(v)) {
        this.at = putInt(buf, this.at, v);
        continue;
      }
      this.value(v, aff[i]!);
      // A text may have taken the room reserved above for the values after it (their quick writes
      // do not check): reserve it again. Either may have grown the buffer.
      this.room((aff.length - i) * 9);
      buf = this.buf;
    }
    this.prev = values;
  }

  /** The run's bytes (a copy), and the packer empty for the next run. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.at);
    this.count = 0;
    this.at = 0;
    return out;
  }

  private value(v: RowValue, affinity: Affinity): void {
    if (v === null) return this.byte(T_NULL);
    if (typeof v === 'string') return this.text(v);
    if (typeof v === 'bigint') {
      if (v >= MIN_SAFE && v <= MAX_SAFE) return this.int(Number(v));
      if (v < INT64_MIN || v > INT64_MAX) throw new JournalError(`journal: ${v} does not fit a 64-bit integer column`);
      return this.int64(v);
    }
    // SQLite keeps NaN as NULL, a REAL column's integers as floats (-0 as 0: it stores an integral
    // REAL as an integer), an INTEGER column's integral floats as integers but for -2^63 (and what
    // does not fit 64 bits), which it keeps as floats.
    if (Number.isNaN(v)) return this.byte(T_NULL);
    if (affinity === 'REAL' || !Number.isInteger(v)) return this.float(v === 0 ? 0 : v);
    if (Number.isSafeInteger(v)) return this.int(v);
    const big = BigInt(v);
    if (big <= INT64_MIN || big > INT64_MAX) return this.float(v);
    return this.int64(big);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  private int(v: number): void {
    this.room(9);
    this.at = putInt(this.buf, this.at, v);
  }

  private int64(v: bigint): void {
    this.room(9);
    this.buf[this.at++] = T_INT64;
    this.view.setBigInt64(this.at, v, true);
    this.at += 8;
  }

  private float(v: number): void {
    this.room(9);
    this.buf[this.at++] = T_FLOAT;
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  private text(v: string): void {
    const bytes = utf8.encode(v);
    this.room(1 + 10 + bytes.length);
    this.buf[this.at++] = T_TEXT;
    this.at = putVarint(this.buf, this.at, bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }
}

/**
 * A run row's units, each as the row SQLite would have given for it: `columns` as the packer had
 * them, the shared ones (and the id) taken from the run's own row. A damaged run is refused by name,
 * and so is one whose units are not those its row (when given with its `cycles`) says.
 */
export function unpackRun(packed: Uint8Array, columns: readonly UnitColumn[], runRow: Readonly<Record<string, unknown>>): Array<Record<string, unknown>> {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const where = `a run of cycles (units row ${String(runRow.id)})`;
  const shared: Record<string, unknown> = { id: runRow.id };
  for (const name of SHARED_COLUMNS) shared[name] = runRow[name];
  const packedColumns = columns.filter((c) => !SHARED_COLUMNS.includes(c.name));
  if (packed[0] !== FORMAT) throw new JournalError(`journal: ${where} is in packing ${packed[0]}, this tradeloop reads packing ${FORMAT}`);
  let at = 1;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= packed.length) throw new JournalError(`journal: ${where} ends inside a value`);
      const b = packed[at++]!;
      v += (b & 127) * scale;
      if (b < 128) return v;
      scale *= 128;
    }
  };
  const rows: Array<Record<string, unknown>> = [];
  while (at < packed.length) {
    const row: Record<string, unknown> = { ...shared };
    const before = rows.at(-1);
    for (const c of packedColumns) {
      if (at >= packed.length) throw new JournalError(`journal: ${where} ends inside a unit`);
      const tag = packed[at++];
      let v: unknown;
      if (tag === T_NULL) v = null;
      else if (tag === T_SAME) {
        if (before === undefined) throw new JournalError(`journal: ${where} repeats a value before its first unit, in column ${c.name}`);
        v = before[c.name];
      } else if (tag === T_POS || tag === T_NEG) {
        const m = varint();
        const n = tag === T_NEG ? -m : m;
        v = c.affinity === 'INTEGER' ? BigInt(n) : n;
      } else if (tag === T_POS48 || tag === T_NEG48) {
        if (at + 6 > packed.length) throw new JournalError(`journal: ${where} ends inside a value`);
        const m = view.getUint16(at + 4, true) * TWO_32 + view.getUint32(at, true);
        at += 6;
        const n = tag === T_NEG48 ? -m : m;
        v = c.affinity === 'INTEGER' ? BigInt(n) : n;
      } else if (tag === T_FLOAT || tag === T_INT64) {
        if (at + 8 > packed.length) throw new JournalError(`journal: ${where} ends inside a value`);
        v = tag === T_FLOAT ? view.getFloat64(at, true) : view.getBigInt64(at, true);
        at += 8;
      } else if (tag === T_TEXT) {
        const n = varint();
        if (at + n > packed.length) throw new JournalError(`journal: ${where} ends inside a value`);
        v = fromUtf8.decode(packed.subarray(at, at + n));
        at += n;
      } else throw new JournalError(`journal: ${where} holds a value of unknown kind ${tag} in column ${c.name}`);
      row[c.name] = v;
    }
    rows.push(row);
  }
  // Bytes cut at a unit's end read as whole units, fewer: the row (a units row says how many, from
  // and through which seq) tells, or a resume would carry on from a seq whose cycles it never replayed.
  if ('cycles' in runRow) {
    const first = rows[0]?.first_seq;
    const last = rows.at(-1)?.last_seq;
    if (rows.length !== Number(runRow.cycles) || Number(first) !== Number(runRow.first_seq) || Number(last) !== Number(runRow.last_seq))
      throw new JournalError(
        `journal: ${where} holds ${rows.length} units (seqs ${String(first)}-${String(last)}), its row says ${String(runRow.cycles)} (seqs ${String(runRow.first_seq)}-${String(runRow.last_seq)})`,
      );
  }
  return rows;
}
