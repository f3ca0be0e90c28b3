/**
 * Journal units as the engine appends them, for the journal's store tests: a cycle (its bar, the
 * resting orders' fills, its decision), the unit as it reads back (with its `bar`), and a SQLite
 * journal opened with its run and first segment, as a session opens one.
 */
import { makeInstrument, type Instrument } from '../../src/broker/instrument.ts';
import { closeTimeOf } from '../../src/domain/interval.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import type { JournalUnit, SeqEvent } from '../../src/journal/journal.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';
import { SAMPLE_EVENTS } from './event-samples.ts';

export const CYCLE_INSTRUMENTS = new Map<string, Instrument>([
  ['BTCUSDT', makeInstrument('BTCUSDT', '0.00001')!],
  ['ETHUSDT', makeInstrument('ETHUSDT', '0.0001')!],
  ['A', makeInstrument('A', '1')!],
]);
export const SAMPLE_BAR = SAMPLE_EVENTS.find((e) => e.type === 'bar') as Extract<TradeEvent, { type: 'bar' }>;
export const SAMPLE_FILL = SAMPLE_EVENTS.find((e) => e.type === 'fill')!;
export const SAMPLE_FEED = SAMPLE_EVENTS.find((e) => e.type === 'feed')!;

export interface CycleOptions {
  /** The bar's symbol (the sample bar's by default). */
  readonly symbol?: string;
  /** Fills between the bar and the decision. */
  readonly fills?: number;
  readonly cursor?: number;
  readonly volume?: number;
  readonly open?: number;
  /** The bar's CSV line (its seq by default; null for none). */
  readonly line?: number | null;
}

/** A cycle from this seq: its bar, `fills` fills, its decision (a hold, its equity past 2^53). */
export function cycleAt(seq: number, o: CycleOptions = {}): JournalUnit {
  const symbol = o.symbol ?? SAMPLE_BAR.symbol;
  const openTime = 1_735_689_600_000 + seq * 60_000;
  const events: SeqEvent[] = [{ seq, event: { ...SAMPLE_BAR, symbol, openTime, volume: o.volume ?? SAMPLE_BAR.volume, open: o.open ?? SAMPLE_BAR.open } }];
  for (let k = 0; k < (o.fills ?? 0); k++) events.push({ seq: seq + 1 + k, event: SAMPLE_FILL });
  const decision = { type: 'decision', symbol, openTime, action: 'hold', qty: 0, intents: 0, position: -seq, equity: 2n ** 60n + BigInt(seq) } as const;
  events.push({ seq: seq + events.length, event: decision });
  return {
    kind: 'cycle',
    events,
    provenance: o.line === null ? { file: `${symbol}.csv` } : { file: `${symbol}.csv`, line: o.line ?? seq },
    ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
  };
}

/** A unit as the journal reads it back: a cycle with its `bar`. */
export function withBar(u: JournalUnit): JournalUnit {
  if (u.kind !== 'cycle') return u;
  const { type: _, ...bar } = u.events[0]!.event as Extract<TradeEvent, { type: 'bar' }>;
  return { ...u, bar: { ...bar, closeTime: closeTimeOf(bar.interval, bar.openTime) } };
}

/** A SQLite journal (no writer thread) with its run and a first segment. */
export async function openedJournal(path: string): Promise<SqliteJournal> {
  const journal = new SqliteJournal(path, { durable: false, instruments: CYCLE_INSTRUMENTS });
  const runStart = SAMPLE_EVENTS.find((e) => e.type === 'run_start') as Extract<TradeEvent, { type: 'run_start' }>;
  await journal.createRun({ runId: 'runs', mode: 'static', options: {}, runStart, warmupBars: [], argv: [], cwd: '/' });
  await journal.beginSegment({ kind: 'start', afterSeq: 0, startedAt: null });
  return journal;
}
