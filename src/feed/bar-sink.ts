/**
 * What every bar source delivers to, in order. Sources call it synchronously; the loop behind it
 * never reaches back into the source.
 */
import type { Bar } from '../domain/types.ts';
import type { SkipEvent } from '../events/types.ts';

export interface BarSink {
  /** History before the run window (csv --from, realtime start-up): no bar event, no decision. */
  warmup(bar: Bar): void;
  /** An accepted closed bar: exactly one decision cycle. csv names its file and line (no object per bar: two arguments). */
  bar(bar: Bar, file?: string, line?: number): void;
  skip(event: SkipEvent): void;
}
