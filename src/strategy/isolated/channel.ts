/**
 * The shared memory between the loop's thread and a user strategy's worker (see
 * isolated-strategy.ts), and the codec for what crosses it. Nothing but numbers and JSON text
 * crosses: the worker never holds a reference to an object of the loop's, and the loop reads
 * everything the worker writes as untrusted input.
 *
 * One call at a time: the loop writes a request and sets STATE to REQUEST; the worker answers and
 * sets STATE to RESPONSE. Each side spins briefly before it sleeps in Atomics.wait, since a bar's
 * round trip is a few microseconds and a futex wake costs ten times that.
 */

/**
 * Int32 slots. STATE sits alone on its cache line: the side that waits spins on it, and a line it
 * shares with data the other side is writing would bounce between the cores on every store.
 * What the loop writes (the request) and what the worker writes (the answer) sit on lines of their
 * own for the same reason.
 */
export const STATE = 0;
/** Set by a side while it sleeps in Atomics.wait: the other side calls notify (a lock inside V8) only then. */
export const LOOP_ASLEEP = 1;
export const WORKER_ASLEEP = 2;
export const OP = 16;
export const REQ_LEN = 17;
/** Indices into the string table both sides keep (symbols, intervals, origins), and the lot step's decimals. */
export const I_SYMBOL = 18;
export const I_INTERVAL = 19;
export const I_SOURCE = 20;
export const I_LOT_DECIMALS = 21;
export const STATUS = 32;
export const PICKED = 33;
export const RES_LEN = 34;
export const INT_SLOTS = 48;

/** STATE values. */
export const IDLE = 0;
export const REQUEST = 1;
export const RESPONSE = 2;

/** OP values. */
export const OP_WARM = 1;
export const OP_DECIDE = 2;

/** STATUS values: the call returned; the strategy threw (or broke the protocol); the thread is ending. */
export const OK = 0;
export const THREW = 1;
export const GONE = 2;

/** Float64 slots of the request. */
export const N_OPEN_TIME = 0;
export const N_CLOSE_TIME = 1;
export const N_OPEN = 2;
export const N_HIGH = 3;
export const N_LOW = 4;
export const N_CLOSE = 5;
export const N_VOLUME = 6;
export const N_POSITION = 7;
/** The average entry price in ticks; NaN when flat (null on the other side). */
export const N_ENTRY = 8;
export const NUM_SLOTS = 16;

/** BigInt64 slots: cash, equity and unrealized PnL, when they fit (else they travel as text in the request JSON). */
export const B_CASH = 0;
export const B_EQUITY = 1;
export const B_UNREALIZED = 2;
export const BIG_SLOTS = 8;

/** Bytes for the JSON part of a request or a response; a longer answer is the strategy's error. */
export const TEXT_BYTES = 1 << 20;

export const SPIN = 4000;

export interface ChannelViews {
  readonly ints: Int32Array;
  readonly nums: Float64Array;
  readonly bigs: BigInt64Array;
  readonly text: Uint8Array;
}

export function channelBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(INT_SLOTS * 4 + NUM_SLOTS * 8 + BIG_SLOTS * 8 + TEXT_BYTES);
}

export function channelViews(buffer: SharedArrayBuffer): ChannelViews {
  let at = 0;
  const ints = new Int32Array(buffer, at, INT_SLOTS);
  at += INT_SLOTS * 4;
  const nums = new Float64Array(buffer, at, NUM_SLOTS);
  at += NUM_SLOTS * 8;
  const bigs = new BigInt64Array(buffer, at, BIG_SLOTS);
  at += BIG_SLOTS * 8;
  return { ints, nums, bigs, text: new Uint8Array(buffer, at, TEXT_BYTES) };
}

/** Writes text into the channel; returns its byte length, or -1 when it does not fit. */
export function putText(views: ChannelViews, json: string): number {
  const { read, written } = new TextEncoder().encodeInto(json, views.text);
  return read === json.length ? written : -1;
}

/** Reads len bytes of text (copied first: TextDecoder refuses views of shared memory). */
export function getText(views: ChannelViews, len: number): string {
  return new TextDecoder().decode(views.text.slice(0, len));
}

/**
 * A value the strategy put in an intent field, as JSON can carry it. The gate names what it got
 * ("got "5" (a string)"), so a string stays a string, a NaN a NaN; objects become a description,
 * since the loop never takes an object of the strategy's.
 */
export type WireValue = number | string | boolean | null | { readonly u: 1 } | { readonly n: string } | { readonly b: string } | { readonly o: string };

export function toWire(value: unknown): WireValue {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : { n: String(value) };
    case 'string':
      return value.length > 200 ? value.slice(0, 200) : value;
    case 'boolean':
      return value;
    case 'undefined':
      return { u: 1 };
    case 'bigint':
      return { b: value.toString().slice(0, 60) };
    default:
      return value === null ? null : { o: typeof value };
  }
}

/** Something the strategy returned that is no plain value: a stand-in that prints as its kind. */
class Opaque {
  readonly #kind: string;
  constructor(kind: string) {
    this.#kind = kind;
    Object.freeze(this);
  }
  toString(): string {
    return `[${this.#kind}]`;
  }
}

export function fromWire(wire: unknown): unknown {
  if (wire === null || typeof wire === 'number' || typeof wire === 'string' || typeof wire === 'boolean') return wire;
  if (typeof wire !== 'object') return undefined;
  const w = wire as Record<string, unknown>;
  if (w.u === 1) return undefined;
  if (typeof w.n === 'string') return Number(w.n);
  if (typeof w.b === 'string' && /^-?\d{1,60}$/.test(w.b)) return BigInt(w.b);
  return new Opaque(typeof w.o === 'string' ? w.o.slice(0, 20) : 'object');
}
