/**
 * Events as flat numeric records, for handing a static run's log to the writer thread without
 * structured-cloning an object per event. Bar and decision (two per bar) are packed as numbers,
 * their strings interned once; any other event travels as its finished line. Both threads use
 * this one module, so the layout cannot drift between packer and unpacker.
 */
import type { BarEvent, DecisionEvent, TradeEvent } from '../events/types.ts';

export const REC_LINE = 0;
export const REC_BAR = 1;
export const REC_DECISION = 2;
/** Doubles per record, the widest kind (bar). */
export const RECORD_SIZE = 11;

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
/** Interned strings (positions, quantities) are dropped on both sides past this many. */
const MAX_INTERNED = 4096;

export interface RecordBatch {
  readonly nums: Float64Array;
  readonly count: number;
  /** The reader starts a new table before adding newStrings (the intern table is bounded). */
  readonly reset: boolean;
  /** Strings interned since the previous batch, appended to the reader's table in order. */
  readonly newStrings: string[];
  /** Finished lines of the other events, in order. */
  readonly lines: string[];
}

export class RecordPacker {
  nums: Float64Array;
  count = 0;
  private newStrings: string[] = [];
  private lines: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly capacity: number;
  private reset = false;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.nums = new Float64Array(capacity * RECORD_SIZE);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  private id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(text, id);
      this.newStrings.push(text);
    }
    return id;
  }

  /** Packs bar and decision events; false for any other kind (send it as a line). */
  pack(seq: number, e: TradeEvent): boolean {
    const at = this.count * RECORD_SIZE;
    const n = this.nums;
    if (e.type === 'bar') {
      n[at] = REC_BAR;
      n[at + 1] = seq;
      n[at + 2] = this.id(e.symbol);
      n[at + 3] = this.id(e.interval);
      n[at + 4] = e.openTime;
      n[at + 5] = e.open;
      n[at + 6] = e.high;
      n[at + 7] = e.low;
      n[at + 8] = e.close;
      n[at + 9] = e.volume;
      n[at + 10] = this.id(e.source);
    } else if (e.type === 'decision') {
      if (e.equity > MAX_SAFE_BIG || e.equity < -MAX_SAFE_BIG) return false;
      n[at] = REC_DECISION;
      n[at + 1] = seq;
      n[at + 2] = this.id(e.symbol);
      n[at + 3] = e.openTime;
      n[at + 4] = this.id(e.action);
      n[at + 5] = this.id(e.qty);
      n[at + 6] = e.intents;
      n[at + 7] = this.id(e.position);
      n[at + 8] = Number(e.equity);
    } else return false;
    this.count++;
    return true;
  }

  line(text: string): void {
    const at = this.count * RECORD_SIZE;
    this.nums[at] = REC_LINE;
    this.nums[at + 1] = this.lines.length;
    this.lines.push(text);
    this.count++;
  }

  /** Hands the filled batch over and starts a new one. */
  take(): RecordBatch {
    const batch: RecordBatch = { nums: this.nums, count: this.count, reset: this.reset, newStrings: this.newStrings, lines: this.lines };
    this.nums = new Float64Array(this.capacity * RECORD_SIZE);
    this.count = 0;
    this.newStrings = [];
    this.lines = [];
    // Every position a run passes through is a distinct string: start over at a batch boundary
    // rather than hold them all for the length of a run.
    this.reset = this.ids.size > MAX_INTERNED;
    if (this.reset) this.ids.clear();
    return batch;
  }
}

/** The reader's side: the interned strings so far, and the events back from records. */
export class RecordReader {
  private readonly strings: string[] = [];

  add(batch: RecordBatch): void {
    if (batch.reset) this.strings.length = 0;
    for (const s of batch.newStrings) this.strings.push(s);
  }

  /** Calls back with a line (other events) or an event and its seq (bar, decision), in order. */
  each(batch: RecordBatch, onLine: (line: string) => void, onEvent: (seq: number, e: TradeEvent) => void): void {
    const n = batch.nums;
    const s = this.strings;
    for (let i = 0; i < batch.count; i++) {
      const at = i * RECORD_SIZE;
      const kind = n[at];
      if (kind === REC_LINE) onLine(batch.lines[n[at + 1]!]!);
      else if (kind === REC_BAR) {
        const bar: BarEvent = {
          type: 'bar', symbol: s[n[at + 2]!]!, interval: s[n[at + 3]!]!, openTime: n[at + 4]!,
          open: n[at + 5]!, high: n[at + 6]!, low: n[at + 7]!, close: n[at + 8]!, volume: n[at + 9]!,
          source: s[n[at + 10]!]! as BarEvent['source'],
        };
        onEvent(n[at + 1]!, bar);
      } else {
        const d: DecisionEvent = {
          type: 'decision', symbol: s[n[at + 2]!]!, openTime: n[at + 3]!, action: s[n[at + 4]!]! as DecisionEvent['action'],
          qty: s[n[at + 5]!]!, intents: n[at + 6]!, position: s[n[at + 7]!]!, equity: BigInt(n[at + 8]!),
        };
        onEvent(n[at + 1]!, d);
      }
    }
  }
}
