/**
 * The history side of a session on the fleet's stream (live-feed.ts LiveHistory): the server
 * reached at start-up, the warm-up read from the stream by time (stream-warmup.ts), each refusal
 * said in a sentence a user can act on: a server out of reach, a stream that does not exist (no
 * publisher has made it), a symbol with no bar in it (no publisher publishes it).
 *
 * Clock: the session's own. The stream carries each bar's exchange event time and its publish
 * time, not a clock to sample, so the offset estimate stays 0: a bar's network latency segment
 * is then exchange event → this session's receipt, covering the publisher's hop too, and any skew
 * between the exchange's clock and this machine's shows in it (run NTP).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../../telemetry/clock.ts';
import type { LiveHistory, StartupResult, WarmupHistory } from '../live-feed.ts';
import { connectOnce, reasonOf, shownServer } from './nats-connection.ts';
import { readStreamWarmup } from './stream-warmup.ts';
import { barSubject } from '../../fleet/bar-message.ts';

export interface NatsHistoryOptions {
  readonly url: string;
  readonly stream: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly clock: Clock;
  /** How long the first connection may take. */
  readonly connectTimeoutMs?: number;
}

export class NatsHistory implements LiveHistory {
  private readonly o: NatsHistoryOptions;
  private readonly shown: string;
  private nc: NatsConnection | null = null;

  constructor(options: NatsHistoryOptions) {
    this.o = options;
    this.shown = shownServer(options.url);
  }

  /** Reaches the server (the session's clock is the time: see the file's comment). */
  async syncClock(): Promise<StartupResult<number>> {
    try {
      this.nc ??= await connectOnce(this.o.url, this.o.connectTimeoutMs ?? 5_000);
    } catch (err) {
      const message = `cannot reach nats-server at ${this.shown}: ${reasonOf(err)}. Check --nats and that the server is up (nats-server -js).`;
      return { ok: false, refusal: { kind: 'unreachable', message } };
    }
    return { ok: true, value: this.o.clock.now() };
  }

  async loadWarmup(warmup: number, closedBy: number): Promise<StartupResult<WarmupHistory>> {
    const reached = await this.syncClock();
    if (!reached.ok) return reached;
    const nc = this.nc!;
    try {
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.streams.info(this.o.stream);
      } catch (err) {
        const message = `--stream ${this.o.stream}: no such stream on ${this.shown} (${reasonOf(err)}). A publisher makes it: start one (tradeloop publish --nats ${this.shown} --symbols ${this.o.symbols.join(',')} --interval ${this.o.interval}), or check --stream.`;
        return { ok: false, refusal: { kind: 'unavailable', message } };
      }
      const r = await readStreamWarmup(jetstream(nc), jsm, { stream: this.o.stream, symbols: this.o.symbols, interval: this.o.interval, warmup, closedBy });
      if (!r.ok) {
        const message = `--symbols: ${r.missing} has no ${this.o.interval} bars in the stream ${this.o.stream} on ${this.shown} (subject ${barSubject(this.o.interval, r.missing)}). Start a publisher for it (tradeloop publish --nats ${this.shown} --symbols ${r.missing} --interval ${this.o.interval}), or check the spelling.`;
        return { ok: false, refusal: { kind: 'invalid_symbol', message } };
      }
      return { ok: true, value: { bars: r.bars, lastClosed: r.lastClosed, cursor: r.cursor } };
    } catch (err) {
      return {
        ok: false,
        refusal: { kind: 'unavailable', message: `cannot read the warm-up from the stream ${this.o.stream} on ${this.shown}: ${reasonOf(err)}` },
      };
    } finally {
      // Start-up's connection is done with: the feed opens its own for the session's life.
      this.nc = null;
      await nc.close().catch(() => {});
    }
  }

  /** No clock to follow: the offset stays 0 (see the file's comment). */
  refreshClockOffset(): () => void {
    return () => {};
  }
}
