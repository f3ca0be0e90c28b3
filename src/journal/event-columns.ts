/**
 * Each event type as a table of typed columns, and back. Money, prices and quantities are stored
 * as the integers the events carry (1e-8 units, ticks, lots of the symbol's step), never as floats
 * or decimal text, so an event read back is the event that was emitted and serialises to the very
 * line it was. Latency figures and volume are floats already (no money depends on them).
 */
import type { Instrument } from '../broker/instrument.ts';
import type { EventType, TradeEvent } from '../events/types.ts';

/** text, int (a JS integer), real, json (any value), bool; lots / ticks / money: exact decimals as integers. */
export type Codec = 'text' | 'int' | 'real' | 'json' | 'lots' | 'ticks' | 'money';

interface Column {
  readonly field: string;
  readonly codec: Codec;
  /** Absent from the event when the column is NULL. */
  readonly optional?: boolean;
}

const c = (field: string, codec: Codec, optional = false): Column => ({ field, codec, optional });

/** Columns per event type, in the event's field order. */
export const EVENT_COLUMNS: Readonly<Record<EventType, readonly Column[]>> = {
  run_start: [c('body', 'json')],
  bar: [
    c('symbol', 'text'),
    c('interval', 'text'),
    c('openTime', 'int'),
    c('open', 'int'),
    c('high', 'int'),
    c('low', 'int'),
    c('close', 'int'),
    c('volume', 'real'),
    c('source', 'text'),
  ],
  decision: [
    c('symbol', 'text'),
    c('openTime', 'int'),
    c('action', 'text'),
    c('qty', 'lots'),
    c('intents', 'int'),
    c('position', 'lots'),
    c('equity', 'money'),
  ],
  order: [
    c('orderId', 'text'),
    c('symbol', 'text'),
    c('openTime', 'int'),
    c('side', 'text'),
    c('orderType', 'text'),
    c('qty', 'lots'),
    c('limitPrice', 'ticks', true),
    c('sentBy', 'text', true),
    // Added with stop orders: a journal from before has no such columns (sqlite-journal.ts adds them when it opens one).
    c('stopPrice', 'ticks', true),
    c('trailBps', 'int', true),
    // Added with waiting for the first live price after a backfill (likewise added to older journals).
    c('waitsFor', 'text', true),
    // Added with brackets: an entry's exit prices, an exit's links (likewise added to older journals).
    c('takeProfit', 'ticks', true),
    c('stopLoss', 'ticks', true),
    c('parentId', 'text', true),
    c('ocoWith', 'text', true),
    // Added with time in force, post-only and reduce-only (the flags as JSON `true`).
    c('timeInForce', 'text', true),
    c('expireAfterBars', 'int', true),
    c('postOnly', 'json', true),
    c('reduceOnly', 'json', true),
  ],
  fill: [
    c('orderId', 'text'),
    c('symbol', 'text'),
    c('openTime', 'int'),
    c('side', 'text'),
    c('qty', 'lots'),
    c('price', 'ticks'),
    c('fee', 'money'),
    c('realizedPnl', 'money'),
    c('cash', 'money'),
    c('position', 'lots'),
    c('priceSource', 'text', true),
    c('priceTime', 'int', true),
    // Added with maker and taker fees: older journals get the column, empty, when opened (sqlite-journal.ts).
    c('liquidity', 'text', true),
    // Added with partial fills: lots left on the order, only for a partial fill.
    c('remaining', 'lots', true),
  ],
  cancel: [c('orderId', 'text'), c('symbol', 'text'), c('openTime', 'int'), c('reason', 'text'), c('detail', 'text')],
  // A refused quantity is kept as the strategy gave it (it may not be a whole number of lots): a
  // JSON number. Journals written before events carried integers hold the log's text instead.
  reject: [
    c('symbol', 'text'),
    c('openTime', 'int'),
    c('reason', 'text'),
    c('orderId', 'text', true),
    c('side', 'text'),
    c('qty', 'json'),
    c('detail', 'text'),
  ],
  skip: [
    c('symbol', 'text'),
    c('openTime', 'int'),
    c('reason', 'text'),
    c('origin', 'text'),
    c('line', 'int', true),
    c('field', 'text', true),
    c('message', 'text'),
  ],
  halt: [c('reason', 'text'), c('source', 'text'), c('severity', 'text'), c('detail', 'text'), c('state', 'text'), c('at', 'int', true)],
  resume: [c('reason', 'text'), c('source', 'text'), c('state', 'text'), c('at', 'int', true)],
  trading_state: [c('from', 'text'), c('to', 'text'), c('halts', 'json'), c('source', 'text'), c('at', 'int', true)],
  feed: [c('state', 'text'), c('detail', 'text', true), c('at', 'int', true)],
  alert: [c('kind', 'text'), c('message', 'text'), c('at', 'int', true)],
  latency: [
    c('symbol', 'text'),
    c('openTime', 'int'),
    c('source', 'text'),
    c('eventTime', 'int'),
    c('closeTime', 'int'),
    c('recvTime', 'int'),
    c('modelTime', 'int'),
    c('brokerTime', 'int'),
    c('networkMs', 'real'),
    c('clockOffsetMs', 'real'),
    c('queueMs', 'real'),
    c('sliceMs', 'real'),
    c('modelMs', 'real'),
    c('brokerMs', 'real'),
    c('totalMs', 'real'),
  ],
  run_end: [c('summary', 'json')],
  run_resume: [c('segment', 'int'), c('afterSeq', 'int'), c('restored', 'json')],
};

/** A field's column: camelCase to snake_case (openTime → open_time), the same in every store. */
export function columnName(field: string): string {
  return field.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
}

/** SQLite column types for the codecs. */
export function sqlType(codec: Codec): string {
  return codec === 'real' ? 'REAL' : codec === 'text' || codec === 'json' ? 'TEXT' : 'INTEGER';
}

/** An exact decimal ("-12.5", "0.00001") → integer units of 10^-scale; refuses what would lose digits. */
export function decimalToUnits(text: string, scale: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`journal: ${JSON.stringify(text)} is not an exact decimal`);
  const frac = m[3] ?? '';
  if (frac.length > scale) throw new Error(`journal: ${text} has more than ${scale} decimals`);
  const units = BigInt(m[2]!) * 10n ** BigInt(scale) + BigInt(frac.padEnd(scale, '0') || '0');
  return m[1] === '-' ? -units : units;
}

export interface ColumnContext {
  instrument(symbol: string): Instrument;
}

/** The event's values for its table, in column order. */
export function toRow(event: TradeEvent): Array<string | number | bigint | null> {
  const e = event as unknown as Record<string, unknown>;
  if (event.type === 'run_start') return [JSON.stringify(event)];
  return EVENT_COLUMNS[event.type].map((col) => {
    const v = e[col.field];
    if (v === undefined || v === null) return null;
    switch (col.codec) {
      case 'text':
        return v as string;
      case 'int':
        return v as number;
      case 'real':
        return v as number;
      case 'json':
        return JSON.stringify(v);
      case 'ticks':
      case 'lots':
        return v as number;
      case 'money':
        return v as bigint;
    }
    return null; // every codec returns above; the type checker holds the switch exhaustive
  });
}

/**
 * A refused quantity as a journal from before integer events kept it: the log's text, whole lots
 * in asset units and anything else as the strategy gave it. Read back as the number the log's
 * writer turns into that same text again (a fraction of a lot within the step's decimals reads as
 * whole lots: the same text, and nothing counts with a refused quantity).
 */
function legacyRefusedQty(text: string, lotDecimals: number): number {
  const m = /^-?\d+(?:\.(\d+))?$/.exec(text);
  if (m && (m[1]?.length ?? 0) <= lotDecimals) {
    const lots = Number(decimalToUnits(text, lotDecimals));
    if (Number.isSafeInteger(lots)) return lots;
  }
  return Number(text);
}

function toNumber(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

/** A row read back → the event as it was emitted (the same fields, the same integers). */
export function fromRow(type: EventType, row: Record<string, unknown>, ctx: ColumnContext): TradeEvent {
  if (type === 'run_start') return JSON.parse(row.body as string) as TradeEvent;
  const out: Record<string, unknown> = { type };
  const symbol = row.symbol as string | null;
  for (const col of EVENT_COLUMNS[type]) {
    const v = row[col.field];
    if (v === null || v === undefined) {
      if (!col.optional) out[col.field] = null;
      continue;
    }
    switch (col.codec) {
      case 'text':
        out[col.field] = v;
        break;
      case 'int':
        out[col.field] = toNumber(v);
        break;
      case 'real':
        out[col.field] = v;
        break;
      case 'json': {
        const value: unknown = JSON.parse(v as string);
        out[col.field] =
          type === 'reject' && col.field === 'qty' && typeof value === 'string' ? legacyRefusedQty(value, ctx.instrument(symbol!).lotDecimals) : value;
        break;
      }
      case 'ticks':
      case 'lots':
        out[col.field] = toNumber(v);
        break;
      case 'money':
        out[col.field] = BigInt(v as bigint);
        break;
    }
  }
  return out as unknown as TradeEvent;
}
