/**
 * The static bar source: every symbol's files merged in time order into one stream of slices
 * (bars sharing an openTime, in --symbols order; then by the order the files were named).
 * Streaming: each file is a cursor holding one chunk, so memory does not grow with the data.
 */
import type { BarSource } from '../bar-source.ts';
import type { Bar } from '../../domain/types.ts';
import type { SkipEvent } from '../../events/types.ts';
import { DataError } from '../data-error.ts';
import { intervalOfSpacing } from '../../domain/interval.ts';
import type { BarSink } from '../bar-sink.ts';
import { CsvFileCursor, type CursorOptions } from './csv-file-cursor.ts';
import { CursorHeap } from './cursor-heap.ts';
import { DEFAULT_CHUNK } from './line-reader.ts';
import { SkipBudget } from './skip-budget.ts';

export interface CsvSourceOptions extends CursorOptions {
  readonly symbols: readonly string[];
  /** Files per symbol, in the order given. */
  readonly files: ReadonlyMap<string, readonly string[]>;
  /** Bars before this openTime only warm up history. null: the run starts at the first bar. */
  readonly from: number | null;
  /** Run length in ms of bar time from the start (--minutes), or null for all the data. */
  readonly windowMs: number | null;
  /** The window's end as an instant (--to, exclusive); absent or null: none. */
  readonly until?: number | null;
  /** A file whose skipped rows are more than this fraction of its rows stops the run; absent: no limit. */
  readonly maxSkipRatio?: number;
  /**
   * A turn of the event loop, and `afterBatch`, at least every `everyMs` of delivering (measured on
   * `monotonic`). A chunk is 128 KiB of every file, seconds of a slow strategy: without turns in it,
   * Ctrl-C, the halt file and the control endpoint would wait for its end. Outputs do not depend on it.
   */
  readonly turns?: { readonly everyMs: number; readonly monotonic: () => number };
  /**
   * File bytes read ahead across every file together (default READ_BUDGET_BYTES): with many files
   * each one's chunk shrinks, down to MIN_CHUNK_BYTES. A chunk's rows are held parsed until taken,
   * so 1,000 files of full 128 KiB chunks held ~3,000,000 bars at once. Ignored when chunkBytes is set.
   */
  readonly readBudgetBytes?: number;
}

/** Enough for 64 files at full chunks: a run over a few symbols reads exactly as it did. */
export const READ_BUDGET_BYTES = 8 << 20;
/** Below this a chunk is a few hundred rows, and refills (each a read on the thread pool) start to show. */
export const MIN_CHUNK_BYTES = 16 << 10;

/** Each file's chunk when `files` share the budget. */
export function chunkBytesFor(files: number, budget = READ_BUDGET_BYTES): number {
  return Math.max(MIN_CHUNK_BYTES, Math.min(DEFAULT_CHUNK, Math.floor(budget / Math.max(1, files))));
}

/** Files opened at once (their layout and order probed): enough to keep the thread pool's 4 threads busy. */
const OPEN_AT_ONCE = 16;

/** Items delivered between two looks at the clock for a turn: a look costs, a turn more. */
const TURN_CHECK_EVERY = 64;

export interface CsvSourceResult {
  readonly warmupBars: Readonly<Record<string, number>>;
}

function isSkip(item: Bar | SkipEvent): item is SkipEvent {
  return (item as SkipEvent).type === 'skip';
}

/**
 * One symbol's order (BarSequencer's rule: the same openTime again is a duplicate, an earlier one
 * out of order), shared by the cursors of its files: looked up once per file, not once per bar.
 */
export class SymbolOrder {
  /** The last accepted openTime, or -Infinity. */
  last = -Infinity;
  /** The openTime the bar after `last` has (its closeTime + 1). */
  next = -Infinity;
}

export class CsvBarSource implements BarSource {
  readonly cursors: CsvFileCursor[] = [];
  private readonly options: CsvSourceOptions;

  constructor(options: CsvSourceOptions) {
    this.options = options;
    let files = 0;
    for (const symbol of options.symbols) files += options.files.get(symbol)?.length ?? 0;
    const cursorOptions: CursorOptions = options.chunkBytes !== undefined ? options : { ...options, chunkBytes: chunkBytesFor(files, options.readBudgetBytes) };
    let rank = 0;
    for (const symbol of options.symbols) {
      for (const path of options.files.get(symbol) ?? []) this.cursors.push(new CsvFileCursor(symbol, path, rank++, cursorOptions));
    }
  }

  /** Opens every file (layout, order); throws DataError naming the first bad one. */
  rowsRead(): number {
    return this.cursors.reduce((a, c) => a + c.tally.rows, 0);
  }

  async open(): Promise<void> {
    // Several files at once: each open is a few reads on the thread pool, and one after the other
    // 1,000 files took ~2 s of waiting. The refusal is still the first bad file's in order: files
    // after a failed one are not begun, those before it are all opened.
    const failures = new Map<number, unknown>();
    let firstFailure = Infinity;
    let next = 0;
    const opener = async (): Promise<void> => {
      while (next < this.cursors.length && next < firstFailure) {
        const i = next++;
        try {
          await this.cursors[i]!.open();
        } catch (err) {
          failures.set(i, err);
          firstFailure = Math.min(firstFailure, i);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(OPEN_AT_ONCE, this.cursors.length) }, opener));
    if (failures.size > 0) {
      await this.close();
      throw failures.get(firstFailure);
    }
  }

  /** Releases every file handle. run() does this itself, whether it ends, stops early or throws. */
  async close(): Promise<void> {
    for (const cursor of this.cursors) await cursor.close();
  }

  /** Delivers everything to the sink; `afterBatch` runs between chunks (a place to flush or yield). */
  async run(sink: BarSink, afterBatch?: () => void | Promise<void>): Promise<CsvSourceResult> {
    try {
      return await this.merge(sink, afterBatch);
    } finally {
      await this.close();
    }
  }

  private async merge(sink: BarSink, afterBatch?: () => void | Promise<void>): Promise<CsvSourceResult> {
    const { from, windowMs } = this.options;
    const until = this.options.until ?? Infinity;
    const orders = new Map<string, SymbolOrder>();
    for (const c of this.cursors) {
      let o = orders.get(c.symbol);
      if (o === undefined) orders.set(c.symbol, (o = new SymbolOrder()));
      c.order = o;
    }
    const warmupBars: Record<string, number> = {};
    let start = from;
    let end = Math.min(until, start !== null && windowMs !== null ? start + windowMs : Infinity);
    const budget = new SkipBudget(this.options.maxSkipRatio ?? null);
    const live = this.cursors.slice();
    const turns = this.options.turns ?? null;
    let lastTurn = turns?.monotonic() ?? 0;
    let untilCheck = TURN_CHECK_EVERY;
    let turnDue = false;
    // Every file's first chunk, the last file first (so with two bad files, the later one's refusal is the one thrown).
    for (let i = live.length - 1; i >= 0; i--) {
      const c = live[i]!;
      if (!c.done) await c.refill();
      if (c.done && c.pos >= c.items.length) {
        live.splice(i, 1);
        budget.finish(c);
      }
    }
    const heads = new CursorHeap<CsvFileCursor>();
    heads.build(live);
    outer: for (;;) {
      // Only the top cursor can have run out of its chunk: taking its last row ends the batch.
      const top = heads.peek();
      if (top === undefined) break;
      if (top.pos >= top.items.length) {
        if (!top.done) await top.refill();
        if (top.done && top.pos >= top.items.length) {
          heads.removeTop();
          budget.finish(top);
          continue;
        }
        heads.topChanged();
      }
      for (;;) {
        // The head with the smallest (openTime, rank); a malformed row goes out as soon as it is a head (cursor-heap.ts).
        const c = heads.peek()!;
        const item = c.items[c.pos]!;
        const line = c.lines[c.pos]!;
        c.pos++;
        if (isSkip(item)) {
          c.tally.rows++;
          sink.skip(item);
          budget.skip(c, item.reason, line);
        } else {
          if (item.openTime >= end) break outer; // merged in time order: nothing later is in the window
          c.tally.rows++;
          const order = c.order!;
          const prev = order.last;
          const t = item.openTime;
          // Bars closer together than the interval: the file is finer than --interval says, and
          // every bar would be mislabelled (and shifted wrongly by --bar-label end).
          if (t > prev && t < order.next) {
            const own = intervalOfSpacing(t - prev);
            throw new DataError(
              `${c.file}:${line}: bars ${(t - prev) / 1000} s apart are closer than --interval ${item.interval}. ` +
                `Pass the file's own interval with --interval (${own !== null ? `--interval ${own}` : 'e.g. --interval 1m'}).`,
            );
          }
          const verdict = t === prev ? 'duplicate' : t < prev ? 'out_of_order' : 'ok';
          if (verdict === 'ok') {
            order.last = t;
            // Rows get closeTime = closeTimeOf(interval, openTime): one ms on is nextOpenTime (months too).
            order.next = item.closeTime + 1;
          }
          if (verdict !== 'ok') {
            sink.skip({
              type: 'skip',
              symbol: item.symbol,
              openTime: item.openTime,
              reason: verdict,
              origin: c.file,
              line,
              message: verdict === 'duplicate' ? 'a bar with this openTime was already accepted' : 'earlier than the last accepted bar',
            });
            budget.skip(c, verdict, line);
          } else if (start !== null && item.openTime < start) {
            sink.warmup(item);
            warmupBars[item.symbol] = (warmupBars[item.symbol] ?? 0) + 1;
          } else {
            if (start === null) {
              start = item.openTime;
              end = Math.min(until, windowMs !== null ? start + windowMs : Infinity);
              if (item.openTime >= end) break outer;
            }
            sink.bar(item, c.file, line);
          }
        }
        if (c.pos >= c.items.length) break;
        heads.topChanged();
        if (turns !== null && --untilCheck === 0) {
          untilCheck = TURN_CHECK_EVERY;
          if (turns.monotonic() - lastTurn >= turns.everyMs) {
            turnDue = true;
            break;
          }
        }
      }
      if (turnDue) {
        // A macrotask, not a microtask: signal handlers and socket callbacks run only between those.
        await new Promise<void>((resolve) => setImmediate(resolve));
        turnDue = false;
      }
      if (turns !== null) lastTurn = turns.monotonic();
      if (afterBatch) await afterBatch();
    }
    // Files the window cut short are judged on the rows read.
    for (const c of this.cursors) budget.finish(c);
    return { warmupBars };
  }
}
