/**
 * What a publisher did, counted: the summary it prints at the end (and returns to code that runs it).
 */
import { isoUtc } from '../domain/time.ts';

export interface PublisherSummary {
  readonly publisherId: string;
  readonly stream: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  /** Bars the stream took as new messages, and bars it already had (ack.duplicate): all kinds together. */
  readonly published: number;
  readonly duplicates: number;
  /** Bars not published because the stream had a newer one of their symbol (another publisher got there first): each subject stays in time order. */
  readonly behind: number;
  /** Publishes tried again after a failure, and the runs of failures (the server lost). */
  readonly retries: number;
  readonly serverLosses: number;
  /** The history sent at start: new, already in the stream, and not sent (older than the stream's first bar). */
  readonly history: { readonly published: number; readonly duplicates: number; readonly notSent: number };
  /** Bars closed while no publisher ran, published at start. */
  readonly missed: { readonly published: number; readonly duplicates: number };
  /** The live feed's bars (its backfills included). */
  readonly live: { readonly published: number; readonly duplicates: number };
  /** Gaps the feed backfilled from REST, and the bars they brought. */
  readonly backfills: number;
  readonly backfilledBars: number;
  /** Bars of outages longer than --max-backfill-bars: never published (at start and in the feed). */
  readonly gapSkippedBars: number;
  /** What the feed skipped: duplicate and out-of-order closed bars, malformed messages. */
  readonly feedSkips: Readonly<Record<string, number>>;
  /** Times the feed stopped reading because --queue-size bars were held for the stream. */
  readonly feedPauses: number;
  readonly heartbeats: number;
  /** Accepted and never acked: held when the flush's wait ended, or behind a backfill at stop. */
  readonly unpublished: number;
  /** Newest openTime the stream acked per symbol (null: none). */
  readonly lastOpenTime: Readonly<Record<string, number | null>>;
}

export function formatPublisherSummary(s: PublisherSummary): string {
  const skips = Object.entries(s.feedSkips)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  const last = s.symbols.map((sym) => {
    const t = s.lastOpenTime[sym] ?? null;
    return `${sym} ${t === null ? '-' : isoUtc(t)}`;
  });
  const lines = [
    `tradeloop publish ${s.publisherId}: ${s.symbols.join(',')} ${s.interval} into stream ${s.stream}`,
    `  published   ${s.published} new, ${s.duplicates} duplicates (the stream had them), ${s.behind} behind the stream (not published: it had newer bars of their symbol), ${s.retries} retries, server lost ${s.serverLosses} times`,
    `  history     ${s.history.published} new, ${s.history.duplicates} duplicates, ${s.history.notSent} not sent (older than the stream's first bar)`,
    `  missed      ${s.missed.published} new, ${s.missed.duplicates} duplicates (closed while no publisher ran)`,
    `  live        ${s.live.published} new, ${s.live.duplicates} duplicates; ${s.backfills} backfills (${s.backfilledBars} bars), ${s.gapSkippedBars} gap bars skipped`,
    `  feed skips  ${skips === '' ? 'none' : skips}; paused ${s.feedPauses} times while the stream was behind`,
    `  heartbeats  ${s.heartbeats}`,
    `  last bar    ${last.join(', ')}`,
  ];
  if (s.unpublished > 0) {
    lines.push(
      `  NOT PUBLISHED: ${s.unpublished} accepted bars were never acked by the stream. A publisher started later backfills them from the stream's last bar (up to --max-backfill-bars).`,
    );
  }
  return `${lines.join('\n')}\n`;
}
