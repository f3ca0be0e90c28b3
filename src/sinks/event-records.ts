/**
 * Events as flat numeric records, for handing a static run's log to the writer thread without
 * structured-cloning an object per event. Bar and decision (two per bar) are packed as numbers,
 * their strings interned once (a decision's quantities as lots, with its symbol's lot decimals for
 * the encoder to write them); any other event travels as its finished line. The writer thread
 * reads them with record-encoder.ts, on this module's layout, so the two cannot drift apart.
 */
import type { LotSteps } from '../events/lot-steps.ts';
import { StringTable } from '../events/string-table.ts';
import type { TradeEvent } from '../events/types.ts';

export const REC_LINE = 0;
export const REC_BAR = 1;
export const REC_DECISION = 2;
/** Doubles per record, the widest kind (bar). */
export const RECORD_SIZE = 11;

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
/** Interned strings (symbols, intervals, words) are dropped on both sides past this many. */
const MAX_INTERNED = 4096;
/** Fields with a last-seen cache: bar symbol, interval, source; decision symbol, action. */
const SLOTS = 5;

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
  private lines: string[] = [];
  private readonly strings = new StringTable(SLOTS);
  private readonly capacity: number;
  private reset = false;
  private readonly lots: LotSteps;

  /** Arrays the batches take turns in (shared with the writer thread), or none: a new one per batch. */
  private readonly slots: readonly Float64Array[];
  private slot = 0;

  /** `lots`: each symbol's lot step, which a decision record carries for the encoder to write its quantities. */
  constructor(capacity: number, lots: LotSteps, slots: readonly Float64Array[] = []) {
    this.capacity = capacity;
    this.lots = lots;
    this.slots = slots;
    this.nums = slots[0] ?? new Float64Array(capacity * RECORD_SIZE);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Packs bar and decision events; false for any other kind (send it as a line). */
  pack(seq: number, e: TradeEvent): boolean {
    const at = this.count * RECORD_SIZE;
    const n = this.nums;
    if (e.type === 'bar') {
      n[at] = REC_BAR;
      n[at + 1] = seq;
      n[at + 2] = this.strings.id(e.symbol, 0);
      n[at + 3] = this.strings.id(e.interval, 1);
      n[at + 4] = e.openTime;
      n[at + 5] = e.open;
      n[at + 6] = e.high;
      n[at + 7] = e.low;
      n[at + 8] = e.close;
      n[at + 9] = e.volume;
      n[at + 10] = this.strings.id(e.source, 2);
    } else if (e.type === 'decision') {
      if (e.equity > MAX_SAFE_BIG || e.equity < -MAX_SAFE_BIG) return false;
      n[at] = REC_DECISION;
      n[at + 1] = seq;
      n[at + 2] = this.strings.id(e.symbol, 3);
      n[at + 3] = e.openTime;
      n[at + 4] = this.strings.id(e.action, 4);
      n[at + 5] = e.qty;
      n[at + 6] = e.intents;
      n[at + 7] = e.position;
      n[at + 8] = Number(e.equity);
      n[at + 9] = this.lots.decimals(e.symbol);
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
    const batch: RecordBatch = { nums: this.nums, count: this.count, reset: this.reset, newStrings: this.strings.takeAdded(), lines: this.lines };
    if (this.slots.length > 0) {
      // The caller keeps at most slots.length - 1 batches in flight: the next slot is free again.
      this.slot = (this.slot + 1) % this.slots.length;
      this.nums = this.slots[this.slot]!;
    } else this.nums = new Float64Array(this.capacity * RECORD_SIZE);
    this.count = 0;
    this.lines = [];
    // Quantities travel as numbers; the strings are symbols, intervals and words, but a run over
    // many symbols could still grow the table: start over at a batch boundary past the bound.
    this.reset = this.strings.size > MAX_INTERNED;
    if (this.reset) this.strings.clear();
    return batch;
  }
}
