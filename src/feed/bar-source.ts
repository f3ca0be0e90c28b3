/**
 * What a static session reads bars from: CSV files today (csv/csv-source.ts), bars held in memory
 * (memory-bar-source.ts), anything later. Every bar source keeps the same promises, which
 * test/feed/bar-source.contract.ts states once and runs against each: bars in time order and,
 * within one openTime, in the order of the symbols given; a repeated openTime a `duplicate` skip,
 * an earlier one `out_of_order`; bars before `from` warm-up only; the window's end respected;
 * `afterBatch` awaited between batches (a stop thrown there ends `run`).
 */
import type { BarSink } from './bar-sink.ts';

export interface BarSource {
  /** Opens the inputs; a missing or unreadable one is refused here, before any bar. */
  open(): Promise<void>;
  /** Delivers every bar to the sink; resolves at the end of the window. Closes the source. */
  run(sink: BarSink, afterBatch?: () => void | Promise<void>): Promise<unknown>;
  close(): Promise<void>;
  /** Input rows read so far (a progress bar's figure). */
  rowsRead(): number;
}

/** The window a bar source reads: bars before `from` warm up, `windowMs` after the first run bar or `until` end it. */
export interface BarWindow {
  readonly from: number | null;
  readonly windowMs: number | null;
  readonly until?: number | null;
}
