/**
 * A tape and the connections it plays to: every connection (--tape shared) or one (per-client).
 * It turns the tape's slices into kline messages, starts the tape once enough served streams are
 * subscribed, and at speed max holds the tape for a slow reader, but only for so long: a client
 * whose buffer stays full past maxSendWaitMs is dropped, so one that never reads cannot stop the
 * tape (or grow the server) for everyone.
 */
import { combinedPayload, klinePayload } from './kline-format.ts';
import type { ReplayConnection } from './replay-connection.ts';
import type { ReplayLog } from './replay-log.ts';
import { ReplayTape, type ReplaySpeed } from './replay-tape.ts';
import type { TapeTimeline } from './replay-timeline.ts';

/** What every channel of one server shares. */
export interface ChannelContext {
  readonly timeline: TapeTimeline;
  readonly speed: ReplaySpeed;
  readonly updatesPerBar: number | undefined;
  /** Stream name per symbol (--symbols order); `served` holds them all. */
  readonly streamNames: readonly string[];
  readonly served: ReadonlySet<string>;
  /** The tape starts once this many served streams are subscribed (on the channel's connections). */
  readonly startAfterStreams: number;
  /** At speed max, the tape waits while a client has more than this unsent. */
  readonly sendHighWaterBytes: number;
  /** ...but not longer than this for one client: then the client is dropped. */
  readonly maxSendWaitMs: number;
  /** Wall clock for E stamps and log times. */
  readonly now: () => number;
  /** Monotonic ms. */
  readonly clock: () => number;
  readonly log: ReplayLog;
  /** Counts every kline message sent, over all channels. */
  readonly counted: (messages: number) => void;
  readonly onTapeStart: () => void;
}

export class TapeChannel {
  readonly tape: ReplayTape;
  /** The connection whose own tape this is, or null for the shared tape. */
  readonly owner: number | null;
  private readonly ctx: ChannelContext;
  private readonly listeners: ReadonlySet<ReplayConnection>;
  private readonly seenStreams = new Set<string>();
  private readonly streamJson: readonly string[];
  private readonly symbolJson: readonly string[];
  private readonly intervalJson: string;

  constructor(ctx: ChannelContext, listeners: ReadonlySet<ReplayConnection>, owner: number | null) {
    this.ctx = ctx;
    this.listeners = listeners;
    this.owner = owner;
    const bars = ctx.timeline.bars;
    this.streamJson = ctx.streamNames.map((s) => JSON.stringify(s));
    this.symbolJson = bars.symbols.map((s) => JSON.stringify(s));
    this.intervalJson = JSON.stringify(bars.interval);
    this.tape = new ReplayTape(
      ctx.timeline,
      { speed: ctx.speed, updatesPerBar: ctx.updatesPerBar },
      {
        slice: (slice, fraction, pass) => this.slice(slice, fraction, pass),
        congested: () => this.congested(),
        looped: (pass) => ctx.log({ kind: 'tape_loop', at: ctx.now(), client: owner, pass, shiftMs: ctx.timeline.shiftMs }),
        ended: () => ctx.log({ kind: 'tape_end', at: ctx.now(), client: owner, bars: ctx.timeline.barsPerPass, slices: ctx.timeline.slicesPerPass }),
      },
    );
  }

  /** Streams a connection of this channel subscribed; the tape starts once enough of them are served ones. */
  subscribed(names: Iterable<string>): void {
    if (this.tape.state !== 'waiting') return;
    for (const name of names) if (this.ctx.served.has(name)) this.seenStreams.add(name);
    if (this.seenStreams.size < this.ctx.startAfterStreams) return;
    this.ctx.log({ kind: 'tape_start', at: this.ctx.now(), client: this.owner, slices: this.ctx.timeline.slicesPerPass });
    this.tape.start();
    this.ctx.onTapeStart();
  }

  stop(): void {
    this.tape.stop();
  }

  private slice(slice: number, fraction: number, pass: number): void {
    const { timeline, streamNames } = this.ctx;
    const s = timeline.bars.slices;
    const eventTime = this.ctx.now();
    let sent = 0;
    for (let e = s.start[slice]!; e < s.start[slice + 1]!; e++) {
      const sym = s.symbol[e]!;
      const stream = streamNames[sym]!;
      let raw: string | null = null;
      let wrapped: string | null = null;
      for (const c of this.listeners) {
        if (c.stalled || !c.streams.has(stream)) continue;
        // Built once per bar and only if someone listens: the same text goes to every client.
        raw ??= klinePayload(
          this.symbolJson[sym]!,
          this.intervalJson,
          timeline.sources[sym]!.kline(timeline.index(sym, s.bar[e]!, pass), fraction),
          eventTime,
          fraction >= 1,
        );
        if (c.combined) c.send((wrapped ??= combinedPayload(this.streamJson[sym]!, raw)));
        else c.send(raw);
        sent++;
      }
    }
    if (sent > 0) this.ctx.counted(sent);
  }

  private congested(): boolean {
    const { sendHighWaterBytes, maxSendWaitMs } = this.ctx;
    let held = false;
    for (const c of this.listeners) {
      if (c.stalled || !c.open) continue;
      if (c.ws.bufferedAmount <= sendHighWaterBytes) {
        c.congestedSince = null;
        continue;
      }
      const now = this.ctx.clock();
      c.congestedSince ??= now;
      if (now - c.congestedSince > maxSendWaitMs) {
        c.drop(`send buffer stayed above ${sendHighWaterBytes} bytes for ${maxSendWaitMs} ms while the tape waited at speed max: the client is not reading`);
        continue;
      }
      held = true;
    }
    return held;
  }
}
