/**
 * What a session does with each message of the stream it reads, in the consumer's callback:
 * parse, check, hand on, nothing more. Another symbol's bar is passed over before it is parsed
 * (the consumer reads every symbol of the interval: nats-server 2.9 takes one filter subject);
 * one that cannot be decoded is a counted `malformed` skip; a repeat or an older bar is a
 * `duplicate` / `out_of_order` skip (the bar sequencer, as Binance's feed uses it); the rest go
 * to the loop, each noted in the stream cursor so that the journal can record the watermark.
 *
 * A gap in a symbol's bars is passed over, not fetched: the publisher already asked the exchange
 * for every gap its feed saw and published what there was, so what the stream lacks, the exchange
 * had none of (a market closed or suspended), or no publisher ran long enough to publish (the
 * feed_stale halt said so at the time). The missing bars are counted (`gapBars`).
 */
import { nextOpenTime, nominalIntervalMs } from '../../domain/interval.ts';
import type { FeedItem, FeedPort } from '../../engine/feed-port.ts';
import { barOf, decodeBarMessage, SUBJECT_ROOT } from '../../fleet/bar-message.ts';
import { BarSequencer } from '../bar-sequencer.ts';
import type { StreamCursor } from '../stream-cursor.ts';

export interface StreamIntakeOptions {
  readonly symbols: readonly string[];
  readonly interval: string;
  /** The stream's name, for where a skip came from. */
  readonly stream: string;
  readonly cursor: StreamCursor;
  readonly output: FeedPort;
  /** Bars and skips go through the feed's own push, which pauses reading when the queue is full. */
  readonly push: (item: FeedItem) => boolean;
}

/** One message as the consumer delivered it. */
export interface StreamMessage {
  readonly seq: number;
  readonly subject: string;
  readonly text: () => string;
}

export interface IntakeCounters {
  messages: number;
  malformed: number;
  closedBars: number;
  duplicates: number;
  outOfOrder: number;
  /** Bars missing between two of a symbol's bars in the stream: passed over, never decided. */
  gapBars: number;
}

export class StreamIntake {
  readonly counters: IntakeCounters = { messages: 0, malformed: 0, closedBars: 0, duplicates: 0, outOfOrder: 0, gapBars: 0 };
  private readonly o: StreamIntakeOptions;
  private readonly sequencer = new BarSequencer();
  private readonly prefix: string;
  private readonly mine: Set<string>;
  /** The newest bar the stream held per symbol when reading began: a bar read behind it is not news (stale_bar). */
  private readonly newestAtStart = new Map<string, number>();

  constructor(options: StreamIntakeOptions) {
    this.o = options;
    this.prefix = `${SUBJECT_ROOT}.${options.interval}.`;
    this.mine = new Set(options.symbols);
  }

  /** The last bar already decided for a symbol: that bar and older ones are never handed on again. */
  seed(symbol: string, lastDecidedOpenTime: number): void {
    this.sequencer.check(symbol, lastDecidedOpenTime);
  }

  /**
   * The stream's newest bar of a symbol as reading begins. A session resumed after an outage reads
   * the bars it missed from the stream; measured against this, the gate refuses orders from those
   * more than --max-bar-age behind (stale_bar), as it does for a Binance session's backfilled bars.
   */
  newestInStream(symbol: string, openTime: number): void {
    this.newestAtStart.set(symbol, openTime);
  }

  /** A message, received at recvWall / recvMono (our clocks); false when the loop's queue is now full. */
  message(m: StreamMessage, recvWall: number, recvMono: number): boolean {
    const { cursor, output } = this.o;
    this.counters.messages++;
    const symbol = m.subject.startsWith(this.prefix) ? m.subject.slice(this.prefix.length) : null;
    if (symbol === null || !this.mine.has(symbol)) {
      cursor.passed(m.seq);
      return true;
    }
    const origin = `stream ${this.o.stream} seq ${m.seq}`;
    const decoded = decodeBarMessage(m.text());
    const wrong = decoded.ok && (decoded.message.symbol !== symbol || decoded.message.interval !== this.o.interval);
    if (!decoded.ok || wrong) {
      this.counters.malformed++;
      cursor.passed(m.seq);
      const message = decoded.ok
        ? `a ${decoded.message.symbol} ${decoded.message.interval} bar on subject ${m.subject}`
        : `not a bar message (${decoded.reason}) on subject ${m.subject}`;
      return this.o.push({
        kind: 'skip',
        event: { type: 'skip', symbol, openTime: decoded.ok ? decoded.message.openTime : null, reason: 'malformed', origin, message },
      });
    }
    const msg = decoded.message;
    output.quote(symbol, msg.close, msg.eventTime);
    const last = this.sequencer.lastOpenTime(symbol);
    const verdict = this.sequencer.check(symbol, msg.openTime);
    if (verdict !== 'ok') {
      if (verdict === 'duplicate') this.counters.duplicates++;
      else this.counters.outOfOrder++;
      cursor.passed(m.seq);
      return this.o.push({
        kind: 'skip',
        event: {
          type: 'skip',
          symbol,
          openTime: msg.openTime,
          reason: verdict,
          origin,
          message: verdict === 'duplicate' ? 'a closed bar with this openTime was already accepted' : 'earlier than the last accepted bar',
        },
      });
    }
    if (last !== undefined) {
      const expected = nextOpenTime(this.o.interval, last);
      if (msg.openTime > expected) this.counters.gapBars += Math.round((msg.openTime - expected) / nominalIntervalMs(this.o.interval));
    }
    this.counters.closedBars++;
    cursor.handed(symbol, msg.openTime, m.seq);
    const newest = Math.max(msg.openTime, this.newestAtStart.get(symbol) ?? msg.openTime);
    return this.o.push({ kind: 'bar', bar: barOf(msg), eventTime: msg.eventTime, recvWall, recvMono, newestOpenTime: newest });
  }
}
