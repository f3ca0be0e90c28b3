/**
 * Journal units as flat numeric records, for handing a static run's commits to the journal's writer
 * thread (sqlite-writer-thread.ts) without an object per event: the loop packs each event as the
 * bus emits it (a bar, a decision, a plain market order and a fill as numbers, their strings
 * interned once per run and an order's id in the side list; any other event, the rare case, as the
 * object itself in that list) and each unit's end as a record that says
 * its kind, its bar's provenance and its command. Events after the last unit's end wait for the
 * next batch: a batch holds whole units only. Both ends are here, so the layout cannot drift:
 * UnitPacker on the loop's thread, UnitUnpacker on the writer's. Every value comes back as it went
 * (a double holds each of these numbers exactly; money travels in a BigInt64Array). Orders and fills
 * are packed too because cloning them as objects was most of what posting a batch cost the loop's
 * thread (~2 µs an object, ~0.25 s of a 1,000,000-bar journaled run); only the shapes the engine
 * emits for a market order and a complete fill are, checked field by field and by their count, so
 * that an event with any other field travels as itself and nothing is dropped.
 */
import type { BarEvent, DecisionEvent, FillEvent, OrderEvent, TradeEvent } from '../events/types.ts';
import { StringTable } from '../events/string-table.ts';
import type { JournalUnit, Provenance, RecordedCommand, SeqEvent, UnitKind } from './journal.ts';

const T_BAR = 1;
const T_DECISION = 2;
const T_OTHER = 3;
const T_END = 4;
const T_ORDER = 5;
const T_FILL = 6;
/** Doubles per record, the widest (a bar). */
const R = 11;
const KINDS: readonly UnitKind[] = ['cycle', 'command', 'outside'];
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export interface UnitBatch {
  readonly nums: Float64Array;
  /** A decision's equity, at the slot its record names. */
  readonly bigs: BigInt64Array;
  /** Records in nums, every one of a complete unit. */
  readonly count: number;
  /** Strings interned since the previous batch, appended to the reader's table in order. */
  readonly strings: string[];
  /** The events (and commands) that travel as themselves, in order. */
  readonly others: unknown[];
}

const isNumber = (v: unknown): v is number => typeof v === 'number';

function packableBar(e: BarEvent): boolean {
  return (
    typeof e.symbol === 'string' &&
    typeof e.interval === 'string' &&
    typeof e.source === 'string' &&
    isNumber(e.openTime) &&
    isNumber(e.open) &&
    isNumber(e.high) &&
    isNumber(e.low) &&
    isNumber(e.close) &&
    isNumber(e.volume)
  );
}

function packableDecision(e: DecisionEvent): boolean {
  return (
    typeof e.symbol === 'string' &&
    typeof e.action === 'string' &&
    isNumber(e.openTime) &&
    isNumber(e.qty) &&
    isNumber(e.intents) &&
    isNumber(e.position) &&
    isInt64(e.equity)
  );
}

/** A market order with no terms: exactly the seven fields orderEvent() gives it. */
function packableOrder(e: OrderEvent): boolean {
  return (
    typeof e.orderId === 'string' &&
    typeof e.symbol === 'string' &&
    typeof e.side === 'string' &&
    e.orderType === 'market' &&
    isNumber(e.openTime) &&
    isNumber(e.qty) &&
    Object.keys(e).length === 7
  );
}

const isInt64 = (v: unknown): v is bigint => typeof v === 'bigint' && v <= INT64_MAX && v >= INT64_MIN;

/** A complete fill from a bar (no remaining lots, no operator's price): exactly its twelve fields. */
function packableFill(e: FillEvent): boolean {
  return (
    typeof e.orderId === 'string' &&
    typeof e.symbol === 'string' &&
    typeof e.side === 'string' &&
    typeof e.liquidity === 'string' &&
    isNumber(e.openTime) &&
    isNumber(e.qty) &&
    isNumber(e.price) &&
    isNumber(e.position) &&
    isInt64(e.fee) &&
    isInt64(e.realizedPnl) &&
    isInt64(e.cash) &&
    Object.keys(e).length === 12
  );
}

/** The string fields with a last-seen cache: most records repeat the one before's. */
const SYMBOL = 0;
const INTERVAL = 1;
const SOURCE = 2;
const ACTION = 3;
const FILE = 4;
const SIDE = 5;
const ORDER_TYPE = 6;
const LIQUIDITY = 7;

export class UnitPacker {
  private nums: Float64Array;
  private bigs: BigInt64Array;
  private count = 0;
  private bigCount = 0;
  /** Records (and equity slots, and others) of the units ended so far: what the next batch holds. */
  private complete = 0;
  private completeBigs = 0;
  private completeOthers = 0;
  /** Records of the unit being made. */
  private open = 0;
  private others: unknown[] = [];
  private readonly strings = new StringTable(LIQUIDITY + 1);
  /** Arrays the writer has handed back, for later batches. */
  private readonly spare: Array<{ nums: Float64Array; bigs: BigInt64Array }> = [];

  constructor(capacity = 4096) {
    this.nums = new Float64Array(capacity * R);
    this.bigs = new BigInt64Array(capacity);
  }

  /** Units ended and not yet taken. */
  get pending(): boolean {
    return this.complete > 0;
  }

  /** Events of a unit not yet ended. */
  get unitOpen(): boolean {
    return this.open > 0;
  }

  /** The next record's offset, the arrays grown when full. */
  private next(): number {
    // A fill takes three money slots: a packer made with room for fewer than three doubles more than once.
    while ((this.count + 1) * R > this.nums.length || this.bigCount + 3 > this.bigs.length) {
      const nums = new Float64Array(this.nums.length * 2);
      nums.set(this.nums);
      this.nums = nums;
      const bigs = new BigInt64Array(this.bigs.length * 2);
      bigs.set(this.bigs);
      this.bigs = bigs;
    }
    this.open++;
    return this.count++ * R;
  }

  /** An event of the unit being made. */
  write(seq: number, e: TradeEvent): void {
    const at = this.next();
    const r = this.nums;
    r[at + 1] = seq;
    if (e.type === 'bar' && packableBar(e)) {
      r[at] = T_BAR;
      r[at + 2] = this.strings.id(e.symbol, SYMBOL);
      r[at + 3] = this.strings.id(e.interval, INTERVAL);
      r[at + 4] = e.openTime;
      r[at + 5] = e.open;
      r[at + 6] = e.high;
      r[at + 7] = e.low;
      r[at + 8] = e.close;
      r[at + 9] = e.volume;
      r[at + 10] = this.strings.id(e.source, SOURCE);
    } else if (e.type === 'decision' && packableDecision(e)) {
      r[at] = T_DECISION;
      r[at + 2] = this.strings.id(e.symbol, SYMBOL);
      r[at + 3] = e.openTime;
      r[at + 4] = this.strings.id(e.action, ACTION);
      r[at + 5] = e.qty;
      r[at + 6] = e.intents;
      r[at + 7] = e.position;
      r[at + 8] = this.bigCount;
      this.bigs[this.bigCount++] = e.equity;
    } else if (e.type === 'fill' && packableFill(e)) {
      r[at] = T_FILL;
      r[at + 2] = this.strings.id(e.symbol, SYMBOL);
      r[at + 3] = this.others.length;
      this.others.push(e.orderId);
      r[at + 4] = e.openTime;
      r[at + 5] = this.strings.id(e.side, SIDE);
      r[at + 6] = e.qty;
      r[at + 7] = e.price;
      r[at + 8] = this.bigCount;
      this.bigs[this.bigCount++] = e.fee;
      this.bigs[this.bigCount++] = e.realizedPnl;
      this.bigs[this.bigCount++] = e.cash;
      r[at + 9] = this.strings.id(e.liquidity!, LIQUIDITY);
      r[at + 10] = e.position;
    } else if (e.type === 'order' && packableOrder(e)) {
      r[at] = T_ORDER;
      r[at + 2] = this.strings.id(e.symbol, SYMBOL);
      r[at + 3] = this.others.length;
      this.others.push(e.orderId);
      r[at + 4] = e.openTime;
      r[at + 5] = this.strings.id(e.side, SIDE);
      r[at + 6] = this.strings.id(e.orderType, ORDER_TYPE);
      r[at + 7] = e.qty;
    } else {
      r[at] = T_OTHER;
      r[at + 2] = this.others.length;
      this.others.push(e);
    }
  }

  /** The unit being made is whole: its kind, its bar's provenance, its command, its stream cursor (a session on the stream). */
  endUnit(kind: UnitKind, provenance: Provenance | null, command: RecordedCommand | null, cursor: number | null = null): void {
    const at = this.next();
    const r = this.nums;
    r[at] = T_END;
    r[at + 1] = KINDS.indexOf(kind);
    r[at + 2] = provenance === null ? 0 : 1;
    r[at + 3] = provenance?.file === undefined ? -1 : this.strings.id(provenance.file, FILE);
    r[at + 4] = provenance?.line ?? Number.NaN;
    r[at + 5] = provenance?.newestOpenTime ?? Number.NaN;
    if (command === null) r[at + 6] = -1;
    else {
      r[at + 6] = this.others.length;
      this.others.push(command);
    }
    r[at + 7] = cursor ?? Number.NaN;
    this.open = 0;
    this.complete = this.count;
    this.completeBigs = this.bigCount;
    this.completeOthers = this.others.length;
  }

  /** Packs whole units (a store's append), after any ended before. */
  add(u: JournalUnit): void {
    for (const { seq, event } of u.events) this.write(seq, event);
    this.endUnit(u.kind, u.provenance ?? null, u.command ?? null, u.cursor ?? null);
  }

  /** Hands the complete units over (the arrays to be transferred); the unit being made, if any, starts the next batch. */
  take(): UnitBatch {
    const batch: UnitBatch = {
      nums: this.nums,
      bigs: this.bigs,
      count: this.complete,
      strings: this.strings.takeAdded(),
      others: this.others.slice(0, this.completeOthers),
    };
    const spare = this.spare.pop();
    const nums = spare?.nums.length === this.nums.length ? spare.nums : new Float64Array(this.nums.length);
    const bigs = spare?.bigs.length === this.bigs.length ? spare.bigs : new BigInt64Array(this.bigs.length);
    // The open unit's records move to the front of the next batch, their slots renumbered.
    nums.set(this.nums.subarray(this.complete * R, this.count * R));
    bigs.set(this.bigs.subarray(this.completeBigs, this.bigCount));
    const others = this.others.slice(this.completeOthers);
    for (let k = 0; k < this.open; k++) {
      const at = k * R;
      const t = nums[at];
      if (t === T_DECISION || t === T_FILL) nums[at + 8] = nums[at + 8]! - this.completeBigs;
      if (t === T_OTHER) nums[at + 2] = nums[at + 2]! - this.completeOthers;
      else if (t === T_ORDER || t === T_FILL) nums[at + 3] = nums[at + 3]! - this.completeOthers;
    }
    this.nums = nums;
    this.bigs = bigs;
    this.count = this.open;
    this.bigCount -= this.completeBigs;
    this.others = others;
    this.complete = 0;
    this.completeBigs = 0;
    this.completeOthers = 0;
    return batch;
  }

  /** Arrays the writer is done with (transferred back), for a later batch. */
  giveBack(nums: Float64Array, bigs: BigInt64Array): void {
    if (this.spare.length < 4) this.spare.push({ nums, bigs });
  }
}

/**
 * The writer's end: a batch read unit by unit, in place. The strings are the table every batch so
 * far has added to (in the order the packer interned them): the caller appends each batch's first.
 */
export class PackedUnits {
  private readonly n: Float64Array;
  private readonly bigs: BigInt64Array;
  private readonly count: number;
  private readonly others: readonly unknown[];
  private readonly str: readonly string[];
  /** The current unit's events are records [from, to); its end record is `to`. */
  from = 0;
  to = -1;

  constructor(batch: UnitBatch, strings: readonly string[]) {
    this.n = batch.nums;
    this.bigs = batch.bigs;
    this.count = batch.count;
    this.others = batch.others;
    this.str = strings;
  }

  /** Moves to the next unit; false past the last. */
  nextUnit(): boolean {
    this.from = this.to + 1;
    if (this.from >= this.count) return false;
    let to = this.from;
    while (this.n[to * R] !== T_END) to++;
    this.to = to;
    return true;
  }

  get kind(): UnitKind {
    return KINDS[this.n[this.to * R + 1]!]!;
  }

  /** The unit's provenance, or null; its file (null for none). */
  get provenance(): Provenance | null {
    const at = this.to * R;
    if (this.n[at + 2] === 0) return null;
    const file = this.file;
    const line = this.n[at + 4]!;
    const newest = this.n[at + 5]!;
    return {
      ...(file !== null ? { file } : {}),
      ...(Number.isNaN(line) ? {} : { line }),
      ...(Number.isNaN(newest) ? {} : { newestOpenTime: newest }),
    };
  }

  get file(): string | null {
    const id = this.n[this.to * R + 3]!;
    return id < 0 ? null : this.str[id]!;
  }

  get line(): number | null {
    const line = this.n[this.to * R + 4]!;
    return Number.isNaN(line) ? null : line;
  }

  get newest(): number | null {
    const newest = this.n[this.to * R + 5]!;
    return Number.isNaN(newest) ? null : newest;
  }

  get cursor(): number | null {
    const cursor = this.n[this.to * R + 7]!;
    return Number.isNaN(cursor) ? null : cursor;
  }

  get command(): RecordedCommand | null {
    const k = this.n[this.to * R + 6]!;
    return k < 0 ? null : (this.others[k] as RecordedCommand);
  }

  seq(i: number): number {
    return this.n[i * R + 1]!;
  }

  /** A bar or decision packed as numbers (others travel as objects: eventAt). */
  isBar(i: number): boolean {
    return this.n[i * R] === T_BAR;
  }

  isDecision(i: number): boolean {
    return this.n[i * R] === T_DECISION;
  }

  /** The event's type, whatever way it travelled. */
  type(i: number): TradeEvent['type'] {
    const t = this.n[i * R];
    return t === T_BAR
      ? 'bar'
      : t === T_DECISION
        ? 'decision'
        : t === T_FILL
          ? 'fill'
          : t === T_ORDER
            ? 'order'
            : (this.others[this.n[i * R + 2]!] as TradeEvent).type;
  }

  /** A packed bar's, decision's, order's or fill's symbol. */
  symbol(i: number): string {
    return this.str[this.n[i * R + 2]!]!;
  }

  barInterval(i: number): string {
    return this.str[this.n[i * R + 3]!]!;
  }

  barSource(i: number): string {
    return this.str[this.n[i * R + 10]!]!;
  }

  /** A packed bar's openTime, open, high, low, close, volume: field 0 to 5. */
  barField(i: number, field: number): number {
    return this.n[i * R + 4 + field]!;
  }

  decisionOpenTime(i: number): number {
    return this.n[i * R + 3]!;
  }

  decisionAction(i: number): string {
    return this.str[this.n[i * R + 4]!]!;
  }

  /** A packed decision's qty, intents, position: field 0 to 2. */
  decisionField(i: number, field: number): number {
    return this.n[i * R + 5 + field]!;
  }

  decisionEquity(i: number): bigint {
    return this.bigs[this.n[i * R + 8]!]!;
  }

  /** The event itself, as it was written. */
  eventAt(i: number): TradeEvent {
    const r = i * R;
    const n = this.n;
    const t = n[r];
    if (t === T_BAR)
      return {
        type: 'bar',
        symbol: this.symbol(i),
        interval: this.barInterval(i),
        openTime: n[r + 4]!,
        open: n[r + 5]!,
        high: n[r + 6]!,
        low: n[r + 7]!,
        close: n[r + 8]!,
        volume: n[r + 9]!,
        source: this.barSource(i) as BarEvent['source'],
      };
    if (t === T_DECISION)
      return {
        type: 'decision',
        symbol: this.symbol(i),
        openTime: n[r + 3]!,
        action: this.decisionAction(i) as DecisionEvent['action'],
        qty: n[r + 5]!,
        intents: n[r + 6]!,
        position: n[r + 7]!,
        equity: this.decisionEquity(i),
      };
    // Orders and fills come back with their fields in the order the engine writes them.
    if (t === T_FILL) {
      const big = n[r + 8]!;
      return {
        type: 'fill',
        orderId: this.others[n[r + 3]!] as string,
        symbol: this.symbol(i),
        openTime: n[r + 4]!,
        side: this.str[n[r + 5]!] as FillEvent['side'],
        qty: n[r + 6]!,
        price: n[r + 7]!,
        fee: this.bigs[big]!,
        liquidity: this.str[n[r + 9]!] as FillEvent['liquidity'],
        realizedPnl: this.bigs[big + 1]!,
        cash: this.bigs[big + 2]!,
        position: n[r + 10]!,
      };
    }
    if (t === T_ORDER)
      return {
        type: 'order',
        orderId: this.others[n[r + 3]!] as string,
        symbol: this.symbol(i),
        openTime: n[r + 4]!,
        side: this.str[n[r + 5]!] as OrderEvent['side'],
        orderType: this.str[n[r + 6]!] as 'market',
        qty: n[r + 7]!,
      };
    return this.others[n[r + 2]!] as TradeEvent;
  }

  /** The current unit as objects (for reading a batch back whole). */
  unit(): JournalUnit {
    const events: SeqEvent[] = [];
    for (let i = this.from; i < this.to; i++) events.push({ seq: this.seq(i), event: this.eventAt(i) });
    const provenance = this.provenance;
    const command = this.command;
    const cursor = this.cursor;
    return { kind: this.kind, events, ...(provenance ? { provenance } : {}), ...(command ? { command } : {}), ...(cursor !== null ? { cursor } : {}) };
  }
}
