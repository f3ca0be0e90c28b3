/**
 * `tradeloop publish`: the fleet's market-data publisher. It reads the exchange with the feed a
 * realtime session uses (feed/live-feeds.ts: reconnects, duplicates and disorder skipped, gaps
 * backfilled) and publishes each accepted closed bar into the JetStream stream, one subject per
 * interval and symbol, with the bar's message id so that the server keeps one copy whoever
 * publishes it and however often. In order:
 *  1. connect to nats-server (out of reach: refused, exit 1) and create or check the stream;
 *  2. read the stream's first and last bar per symbol, and load the exchange's recent bars;
 *  3. publish the history and the bars missed while no publisher ran (publisher-start.ts), all acked;
 *  4. start the feed seeded from the newest bar the stream holds, and beat once a second.
 * stop() ends the feed, waits (bounded) for the held bars to be acked, and counts what was not.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { redactUrl } from '../config/redact-url.ts';
import { isoUtc } from '../domain/time.ts';
import type { FeedHaltReason } from '../engine/feed-port.ts';
import type { FeedState } from '../events/types.ts';
import type { LiveFeed, LiveHistory, WarmupHistory } from '../feed/live-feed.ts';
import { createLiveFeed, createLiveHistory, type ExchangeUpstream } from '../feed/live-feeds.ts';
import { loadHistory, StartupError } from '../session/live-startup.ts';
import { UsageError } from '../errors.ts';
import { type Clock, systemClock } from '../telemetry/clock.ts';
import { ClockOffset } from '../telemetry/latency.ts';
import { barSubject, decodeBarMessage } from './bar-message.ts';
import { describeOutcome, ensureBarStream } from './bar-stream.ts';
import { connectPublisher } from './publisher-connection.ts';
import { HeartbeatTimer, heartbeatSubject, type PublisherHeartbeatMessage } from './publisher-heartbeat.ts';
import { BarOutbox } from './publisher-outbox.ts';
import { PublisherPort } from './publisher-port.ts';
import { barsToLoad, planStart, readStreamEnds, type StartPlan, type StreamEnds } from './publisher-start.ts';
import type { PublisherSummary } from './publisher-summary.ts';

export interface PublisherConfig {
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly upstream: ExchangeUpstream;
  readonly staleAfterMs: number;
  readonly staleAlertAfterMs: number;
  readonly pingIntervalMs: number;
  readonly maxBackfillBars: number;
  /** Bars held for the stream before the feed stops reading. */
  readonly queueSize: number;
  readonly nats: string;
  readonly stream: string;
  /** Bars of history per symbol published at start. */
  readonly history: number;
  readonly publisherId: string;
  /** At stop, how long held bars may take to be acked. */
  readonly flushTimeoutMs: number;
}

export interface PublisherDeps {
  /** Lines for the operator: state changes, as they happen. */
  readonly say: (line: string) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** How long a publish waits for the server's ack before it is tried again (default 2000 ms). */
  readonly ackTimeoutMs?: number;
  readonly heartbeatEveryMs?: number;
  /** The feed's connection lifetime (tests). */
  readonly lifetimeMs?: number;
}

interface Opened {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  readonly liveHistory: LiveHistory;
  readonly clockOffset: ClockOffset;
  readonly plans: ReadonlyMap<string, StartPlan>;
}

export class Publisher {
  readonly config: PublisherConfig;
  /** Resolves when the start's bars are acked and the feed runs (never, if stopped first). */
  readonly live: Promise<void>;
  private readonly deps: PublisherDeps;
  private readonly clock: Clock;
  private readonly o: Opened;
  private readonly outbox: BarOutbox;
  private readonly port: PublisherPort;
  private readonly heartbeat: HeartbeatTimer;
  private feed: LiveFeed | null = null;
  private stopOffsetRefresh: (() => void) | null = null;
  private stopping: Promise<PublisherSummary> | null = null;
  private connected = true;
  /** Resolves when the connection lost last is back. */
  private reconnected: Promise<void> = Promise.resolve();
  private onReconnect: () => void = () => {};
  private serverLosses = 0;
  private beating: boolean | null = null;
  private heartbeats = 0;
  private goLive!: () => void;

  private constructor(config: PublisherConfig, deps: PublisherDeps, opened: Opened) {
    this.config = config;
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    this.o = opened;
    this.live = new Promise<void>((resolve) => (this.goLive = resolve));
    const ackTimeoutMs = deps.ackTimeoutMs ?? 2_000;
    this.outbox = new BarOutbox({
      interval: config.interval,
      clock: this.clock,
      random: deps.random ?? Math.random,
      maxHeld: config.queueSize,
      publish: async (subject, data, msgID, expectLastSeq) => {
        // While the client reconnects it would buffer every attempt (a copy per retry, for as long as
        // the server is away): wait for the connection instead, and publish once it is back.
        if (!this.connected) await this.reconnected;
        try {
          return await opened.js.publish(subject, data, { msgID, timeout: ackTimeoutMs, expect: { lastSubjectSequence: expectLastSeq } });
        } catch (err) {
          if (isWrongLastSequence(err)) return 'conflict';
          throw err;
        }
      },
      tipOf: async (subject) => {
        if (!this.connected) await this.reconnected;
        const m = await opened.jsm.streams.getMessage(config.stream, { last_by_subj: subject });
        if (m === null) return null;
        const d = decodeBarMessage(m.string());
        // A message that is no bar of ours still holds the subject's last sequence; every bar is after it.
        return { seq: m.seq, openTime: d.ok ? d.message.openTime : Number.NEGATIVE_INFINITY };
      },
      onRoom: () => this.feed?.resumeReading(),
      onDown: (reason, held) => this.say(`publishing failed (${reason}): ${held} bars held in order, retried until the stream acks them`),
      onUp: (downMs, held, retries) => this.say(`publishing again after ${(downMs / 1000).toFixed(1)} s (${retries} retries); ${held} bars still held`),
    });
    this.port = new PublisherPort(this.outbox, (line) => this.say(line));
    this.heartbeat = new HeartbeatTimer({ clock: this.clock, ...(deps.heartbeatEveryMs ? { everyMs: deps.heartbeatEveryMs } : {}), beat: () => this.beat() });
  }

  /**
   * Connects, makes sure of the stream, reads its ends and the exchange's history. Refusals:
   * UsageError (exit 2) for what the user named (a stream of someone else's, an unknown symbol),
   * StartupError (exit 1) for a server out of reach.
   */
  static async open(config: PublisherConfig, deps: PublisherDeps): Promise<Publisher> {
    const clock = deps.clock ?? systemClock;
    const connected = await connectPublisher({ url: config.nats, name: `tradeloop publish ${config.publisherId}` });
    if (!connected.ok) throw new StartupError(connected.message);
    const { nc } = connected;
    try {
      let jsm: JetStreamManager;
      try {
        jsm = await jetstreamManager(nc);
      } catch (err) {
        throw new StartupError(`nats-server at ${redactUrl(config.nats)} has no JetStream (${(err as Error).message}): start it with -js.`);
      }
      const stream = await ensureBarStream(jsm, config.stream, config.interval, config.history);
      if (!stream.ok) throw new UsageError(stream.refusal);
      deps.say(describeOutcome(config.stream, stream.outcome));
      const ends = new Map<string, StreamEnds>();
      for (const symbol of config.symbols) {
        const r = await readStreamEnds(jsm, config.stream, barSubject(config.interval, symbol));
        if (!r.ok) throw new UsageError(r.message);
        ends.set(symbol, r.ends);
      }
      const clockOffset = new ClockOffset();
      const liveHistory = createLiveHistory({ upstream: config.upstream, symbols: config.symbols, interval: config.interval, clock, clockOffset });
      const time = await liveHistory.syncClock();
      if (!time.ok) throw new StartupError(time.refusal.message);
      const count = barsToLoad(config.history, [...ends.values()], time.value, config.interval, config.maxBackfillBars);
      const history: WarmupHistory = await loadHistory(liveHistory, count);
      const plans = new Map<string, StartPlan>();
      for (const symbol of config.symbols) {
        const plan = planStart({
          bars: history.bars.get(symbol) ?? [],
          lastClosed: history.lastClosed.get(symbol),
          ends: ends.get(symbol)!,
          historyBars: config.history,
          interval: config.interval,
          maxBackfillBars: config.maxBackfillBars,
          serverTime: time.value,
        });
        plans.set(symbol, plan);
        deps.say(describePlan(symbol, ends.get(symbol)!, plan, config.maxBackfillBars));
      }
      return new Publisher(config, deps, { nc, jsm, js: jetstream(nc), liveHistory, clockOffset, plans });
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** Publishes the start's bars, then starts the feed once the stream has acked them all. */
  start(): void {
    void this.watchConnection();
    const began = this.clock.now();
    let bars = 0;
    for (const symbol of this.config.symbols) {
      const plan = this.o.plans.get(symbol)!;
      for (const bar of plan.history) this.outbox.add(bar, bar.closeTime, 'history');
      for (const bar of plan.missed) this.outbox.add(bar, bar.closeTime, 'missed');
      bars += plan.history.length + plan.missed.length;
    }
    void this.outbox.idle().then(() => {
      if (this.stopping) return;
      if (bars > 0) {
        const h = this.outbox.counts.history;
        const m = this.outbox.counts.missed;
        const behind = h.behind + m.behind;
        this.say(
          `start published in ${((this.clock.now() - began) / 1000).toFixed(1)} s: history ${h.published} new, ${h.duplicates} duplicates (the stream had them); missed ${m.published} new, ${m.duplicates} duplicates` +
            (behind > 0
              ? `; ${behind} not published, behind the stream (another publisher had put newer bars of their symbols there first: each symbol stays in time order)`
              : ''),
        );
      }
      this.startFeed();
      this.goLive();
    });
  }

  private startFeed(): void {
    const c = this.config;
    const feed = createLiveFeed(
      {
        upstream: c.upstream,
        symbols: c.symbols,
        interval: c.interval,
        clock: this.clock,
        clockOffset: this.o.clockOffset,
        random: this.deps.random ?? Math.random,
        staleAfterMs: c.staleAfterMs,
        staleAlertAfterMs: c.staleAlertAfterMs,
        pingIntervalMs: c.pingIntervalMs,
        maxBackfillBars: c.maxBackfillBars,
        ...(this.deps.lifetimeMs !== undefined ? { lifetimeMs: this.deps.lifetimeMs } : {}),
      },
      this.port,
    );
    for (const symbol of c.symbols) {
      const seed = this.o.plans.get(symbol)!.seed;
      if (seed !== null) feed.seed(symbol, seed);
    }
    this.feed = feed;
    this.stopOffsetRefresh = this.o.liveHistory.refreshClockOffset();
    feed.start();
    this.heartbeat.start();
  }

  /** The client reconnects by itself; the operator hears when the server goes and comes back. */
  private async watchConnection(): Promise<void> {
    const shown = redactUrl(this.config.nats);
    for await (const s of this.o.nc.status()) {
      if (s.type === 'disconnect') {
        if (this.connected) this.reconnected = new Promise<void>((resolve) => (this.onReconnect = resolve));
        this.connected = false;
        this.serverLosses++;
        this.say(`nats-server lost at ${shown}: reconnecting; bars are held (${this.outbox.held} now) and published once it is back`);
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.onReconnect();
        this.say(`nats-server back at ${shown}`);
      }
    }
  }

  private beat(): void {
    const why = this.silentBecause();
    const c = this.config;
    if (why !== null) {
      if (this.beating === true) this.say(`heartbeat paused: ${why}`);
      if (this.beating !== null) this.beating = false;
      return;
    }
    if (this.beating === null) this.say(`heartbeat: one a second on ${heartbeatSubject(c.publisherId)}`);
    else if (this.beating === false) this.say('heartbeat resumed');
    this.beating = true;
    const message: PublisherHeartbeatMessage = {
      publisherId: c.publisherId,
      at: this.clock.now(),
      symbols: c.symbols,
      interval: c.interval,
      stream: c.stream,
      lastOpenTime: this.lastOpenTimes(),
      feed: this.port.state,
    };
    this.o.nc.publish(heartbeatSubject(c.publisherId), JSON.stringify(message));
    this.heartbeats++;
  }

  /** Why a heartbeat now would be a lie (null: it would not). */
  private silentBecause(): string | null {
    if (!this.connected || this.o.nc.isClosed()) return 'nats-server lost';
    if (this.outbox.isDown) return 'the stream does not ack';
    const halts = [...this.port.halts.keys()];
    if (halts.length > 0) return `feed ${halts.join(', ')} (sessions halt feed_stale unless another publisher is heard)`;
    // Not before the feed delivers: a publisher still connecting to the exchange has nothing to vouch for.
    const state = this.port.state;
    return state === 'live' || state === 'backfilling' ? null : `feed ${state ?? 'not started'}`;
  }

  private lastOpenTimes(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const s of this.config.symbols) out[s] = this.outbox.lastOpenTime.get(s) ?? null;
    return out;
  }

  /** openTime of the newest bar the stream acked for a symbol (null: none yet). */
  lastOpenTime(symbol: string): number | null {
    return this.outbox.lastOpenTime.get(symbol) ?? null;
  }

  /** The feed's state and the halts it raised that still hold (each one silences the heartbeat). */
  feedStatus(): { state: FeedState | null; halts: FeedHaltReason[] } {
    return { state: this.port.state, halts: [...this.port.halts.keys()] };
  }

  /** The counts so far: bars acked new, acked as duplicates, publishes retried, bars held. */
  progress(): { published: number; duplicates: number; retries: number; held: number; heartbeats: number; connected: boolean } {
    const o = this.outbox;
    return {
      published: o.total('published'),
      duplicates: o.total('duplicates'),
      retries: o.retries,
      held: o.held,
      heartbeats: this.heartbeats,
      connected: this.connected,
    };
  }

  /** Stops the feed, lets the held bars be acked (up to flushTimeoutMs), closes the connection. Once. */
  stop(): Promise<PublisherSummary> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<PublisherSummary> {
    this.heartbeat.stop();
    this.stopOffsetRefresh?.();
    const feed = this.feed;
    await feed?.stop();
    if (this.outbox.held > 0) {
      this.say(`stopping: ${this.outbox.held} bars held, waiting up to ${this.config.flushTimeoutMs / 1000} s for the stream to ack them`);
      let timer: object | null = null;
      await Promise.race([this.outbox.idle(), new Promise<void>((resolve) => (timer = this.clock.setTimer(resolve, this.config.flushTimeoutMs)))]);
      this.clock.clearTimer(timer);
    }
    this.outbox.stop();
    await this.o.nc.close();
    const fc = feed?.counters();
    const undelivered = feed?.undelivered().count ?? 0;
    const start = [...this.o.plans.values()];
    const ob = this.outbox;
    return {
      publisherId: this.config.publisherId,
      stream: this.config.stream,
      symbols: this.config.symbols,
      interval: this.config.interval,
      published: ob.total('published'),
      duplicates: ob.total('duplicates'),
      retries: ob.retries,
      serverLosses: this.serverLosses,
      behind: ob.total('behind'),
      history: { published: ob.counts.history.published, duplicates: ob.counts.history.duplicates, notSent: start.reduce((n, p) => n + p.olderThanStream, 0) },
      missed: { published: ob.counts.missed.published, duplicates: ob.counts.missed.duplicates },
      live: { published: ob.counts.feed.published, duplicates: ob.counts.feed.duplicates },
      backfills: fc?.backfills ?? 0,
      backfilledBars: fc?.backfilledBars ?? 0,
      gapSkippedBars: start.reduce((n, p) => n + p.gapBars, 0) + (fc?.gapSkippedBars ?? 0),
      feedSkips: Object.fromEntries(
        Object.entries({ duplicate: fc?.duplicates ?? 0, out_of_order: fc?.outOfOrder ?? 0, malformed: fc?.malformed ?? 0 }).filter(([, n]) => n > 0),
      ),
      feedPauses: fc?.pauses ?? 0,
      heartbeats: this.heartbeats,
      unpublished: ob.held + undelivered,
      lastOpenTime: this.lastOpenTimes(),
    };
  }

  private say(line: string): void {
    this.deps.say(line);
  }
}

function describePlan(symbol: string, ends: StreamEnds, plan: StartPlan, maxBackfillBars: number): string {
  if (ends.last === null) return `${symbol}: nothing in the stream yet: ${plan.history.length} bars of history to publish`;
  const parts = [`${symbol}: the stream ends at ${isoUtc(ends.last)}`, `${plan.history.length} history bars again (expected duplicates)`];
  parts.push(`${plan.missed.length} bars missed since then`);
  if (plan.olderThanStream > 0) parts.push(`${plan.olderThanStream} history bars older than the stream's first not sent`);
  if (plan.gapBars > 0) parts.push(`${plan.gapBars} bars before them not backfilled (more than --max-backfill-bars ${maxBackfillBars})`);
  return parts.join('; ');
}

/** JetStream refused a publish's expected last subject sequence (API error 10071): another publisher went ahead. */
function isWrongLastSequence(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 10071;
}
