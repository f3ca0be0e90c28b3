/**
 * What a live feed's pipeline asks of its upstream when bars are missing: the closed bars of one
 * window. Binance answers from REST klines; a source reading a stream answers by reading it again
 * from a position. Failures are values: the pipeline retries them, halting trading (gap) meanwhile.
 */
import type { Bar } from '../../domain/types.ts';

export interface BackfillFailure {
  readonly message: string;
  /** The upstream said when to ask again (a rate limit); otherwise the pipeline backs off. */
  readonly retryAfterMs?: number;
}

export type BackfillResult = { readonly ok: true; readonly value: readonly Bar[] } | { readonly ok: false; readonly failure: BackfillFailure };

export interface Backfill {
  /**
   * The closed bars of `symbol` opening in [from, to] (ms, both inclusive; `to` is the last ms of
   * the window), oldest first. An empty answer is success: no bars exist while a market is suspended.
   */
  fetch(symbol: string, from: number, to: number, signal: AbortSignal): Promise<BackfillResult>;
}
