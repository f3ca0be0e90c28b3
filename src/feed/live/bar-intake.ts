/**
 * Where a live feed's parsed messages enter, whatever carried them: a bar update gives the newest
 * quote, and a closed one goes through the per-symbol pipeline (sequencing, gaps, backfill); a
 * malformed message is a counted skip. The symbol watch sees both, so a symbol whose messages keep
 * being skipped is alerted. Runs in the socket callback: parse, validate, enqueue, nothing more.
 */
import type { FeedItem, FeedPort, ReceivedBar } from '../../engine/feed-port.ts';
import type { LiveFeedCounters } from '../live-feed.ts';
import type { Clock } from '../../telemetry/clock.ts';
import type { Backfill } from './backfill.ts';
import { SymbolPipeline } from './symbol-pipeline.ts';
import { SymbolWatch } from './symbol-watch.ts';
import type { KlineMessage, MalformedMessage } from './stream-message.ts';

export interface BarIntakeOptions {
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly backfill: Backfill;
  /** Aborts backfill requests when the feed stops. */
  readonly signal: AbortSignal;
  readonly maxBackfillBars?: number;
  /** The loop's port: quotes, halts and alerts go straight to it. */
  readonly output: FeedPort;
  /** Bars and skips go through the feed's own push, which pauses reading when the queue is full. */
  readonly push: (item: FeedItem) => boolean;
  /** A backfill started or ended, or asked for the feed's state: the feed derives it again. */
  readonly onHealthChange: (detail: string) => void;
}

/** The counters a feed keeps about its upstream; the intake keeps the rest. */
export type ConnectionCounters = Pick<LiveFeedCounters, 'messages' | 'connects' | 'disconnects' | 'rotations' | 'pauses'>;

export class BarIntake {
  readonly pipeline: SymbolPipeline;
  malformed = 0;
  private readonly watch: SymbolWatch;
  private readonly output: FeedPort;
  private readonly push: (item: FeedItem) => boolean;

  constructor(options: BarIntakeOptions) {
    const { output, push } = options;
    this.output = output;
    this.push = push;
    this.pipeline = new SymbolPipeline({
      interval: options.interval,
      clock: options.clock,
      backfill: options.backfill,
      random: options.random,
      signal: options.signal,
      ...(options.maxBackfillBars !== undefined ? { maxBackfillBars: options.maxBackfillBars } : {}),
      onBackfillChange: (detail) => options.onHealthChange(detail),
      // Explicit delegation: `output` may be a class instance, whose methods a spread would not copy.
      output: {
        push,
        // The state is derived by the feed, never set from here: a backfill's news only asks for it.
        feedState: (_s, d) => options.onHealthChange(d),
        raiseHalt: (r, d) => output.raiseHalt(r, d),
        liftHalt: (r) => output.liftHalt(r),
        alert: (k, m) => output.alert(k, m),
        quote: (s, p, t) => output.quote(s, p, t),
      },
    });
    this.watch = new SymbolWatch({ symbols: options.symbols, interval: options.interval, clock: options.clock, alert: (m) => output.alert('malformed', m) });
  }

  /** A bar update received at recvWall / recvMono (our clocks). */
  kline(msg: KlineMessage, recvWall: number, recvMono: number): void {
    const symbol = msg.bar.symbol;
    this.output.quote(symbol, msg.bar.close, msg.eventTime);
    this.watch.seen(symbol);
    if (!msg.closed) return;
    const item: ReceivedBar = { kind: 'bar', bar: msg.bar, eventTime: msg.eventTime, recvWall, recvMono, newestOpenTime: msg.bar.openTime };
    const verdict = this.pipeline.closed(item, msg.stream);
    if (verdict === 'ok') this.watch.accepted(symbol);
    else this.watch.skipped(symbol, verdict);
  }

  /** A message that could not be read, from `origin` (e.g. `connection 3`). */
  malformedMessage(msg: MalformedMessage, origin: string): void {
    this.malformed++;
    if (msg.symbol !== null) {
      this.watch.seen(msg.symbol);
      this.watch.skipped(msg.symbol, `malformed: ${msg.message}`);
    }
    this.push({
      kind: 'skip',
      event: { type: 'skip', symbol: msg.symbol, openTime: msg.openTime, reason: 'malformed', origin, message: msg.message },
    });
  }

  /** All of a feed's counters: the upstream's (`connection`) with the intake's, in the summary's order. */
  counters(connection: ConnectionCounters): LiveFeedCounters {
    const p = this.pipeline.stats;
    return {
      messages: connection.messages,
      malformed: this.malformed,
      closedBars: p.closedBars,
      duplicates: p.duplicates,
      outOfOrder: p.outOfOrder,
      backfills: p.backfills,
      backfilledBars: p.backfilledBars,
      backfillFailures: p.backfillFailures,
      gapSkippedBars: p.gapSkippedBars,
      connects: connection.connects,
      disconnects: connection.disconnects,
      rotations: connection.rotations,
      pauses: connection.pauses,
    };
  }
}
