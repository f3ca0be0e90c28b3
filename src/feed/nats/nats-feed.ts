/**
 * A session's live feed from the fleet's NATS JetStream stream (live-feed.ts LiveFeed): bars a
 * publisher (`tradeloop publish`) put there, read with an ordered consumer from a stream sequence.
 *
 * - Position: the consumer starts after the stream cursor's `startAfter` (the journal's last
 *   cursor on a resume, where the warm-up's read ended on a fresh start: stream-start.ts), and the
 *   ordered consumer goes on after the last sequence it delivered whatever happens to the
 *   connection or the server. What it reads goes through stream-intake.ts.
 * - Backpressure: messages are fetched in bounded batches; when the loop's queue is full the feed
 *   stops taking them (the rest of a batch waits in the client) and fetches nothing more until
 *   resumeReading(). Memory is the queue and one batch, however far behind the session is.
 * - Stale: a publisher heartbeats on `tradeloop.heartbeat.<id>` every second, naming its stream,
 *   interval and symbols, and every bar it publishes is news too. A symbol nothing was heard for
 *   in staleAfterMs on the injected clock: halt feed_stale naming it, lifted when every symbol is
 *   heard again; for staleAlertAfterMs: an alert naming the stream (publisher-watch.ts).
 * - Disconnected: the client lost nats-server: an alert and the feed state say so, and the
 *   publishers' silence meanwhile is no verdict on them; the client reconnects on its own (its
 *   pacing, in real time) and the consumer reads on from its last sequence (a server that
 *   restarted has lost the consumer: it is made again). No trading halt, unlike a lost exchange
 *   socket: the stream is the tape, so no bar is missed while the server is away and none is
 *   decided before it is read; a halt would guard nothing and would cancel the resting orders
 *   (stops among them) a csv run of the same bars keeps, parting the session from it.
 */
import { DeliverPolicy, type Consumer, type ConsumerMessages, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { setTimeout as delay } from 'node:timers/promises';
import type { FeedItem, FeedPort } from '../../engine/feed-port.ts';
import type { FeedState } from '../../events/types.ts';
import { intervalSubjects, SUBJECT_ROOT } from '../../fleet/bar-message.ts';
import { ALL_HEARTBEATS, decodeHeartbeat } from '../../fleet/publisher-heartbeat.ts';
import type { Clock } from '../../telemetry/clock.ts';
import type { LiveFeed, LiveFeedCounters, LiveFeedStatus, StreamStatus, Undelivered } from '../live-feed.ts';
import { StreamCursor } from '../stream-cursor.ts';
import { connectForLife, reasonOf, shownServer } from './nats-connection.ts';
import { PublisherWatch } from './publisher-watch.ts';
import { StreamIntake } from './stream-intake.ts';
import { findStreamStart } from './stream-start.ts';

export interface NatsFeedOptions {
  readonly url: string;
  readonly stream: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly clock: Clock;
  /** No publisher heard for this long: halt feed_stale. */
  readonly staleAfterMs: number;
  /** Nor for this long: alerted. */
  readonly staleAlertAfterMs: number;
  /** Where reading starts, and what the journal records; default: after the stream's last message. */
  readonly cursor?: StreamCursor;
  /** The client's wait between reconnect attempts (default 1000 ms). */
  readonly reconnectWaitMs?: number;
  /** Messages fetched at a time (default 256): what waits in the client while reading is paused. */
  readonly batch?: number;
}

/** How long a fetch waits for messages before it asks again (its heartbeats come at half of it). */
const FETCH_EXPIRES_MS = 5_000;

export class NatsFeed implements LiveFeed {
  readonly connections = 1;
  private readonly o: NatsFeedOptions;
  private readonly output: FeedPort;
  private readonly shown: string;
  private readonly cursor: StreamCursor;
  private readonly intake: StreamIntake;
  private readonly stats = { connects: 0, disconnects: 0, pauses: 0 };
  private readonly abort = new AbortController();
  private nc: NatsConnection | null = null;
  private state: FeedState | null = null;
  private started = false;
  private stopped = false;
  private paused = false;
  private resumed: (() => void) | null = null;
  private disconnected = false;
  /** When the server was lost (the injected clock's monotonic ms), while it is away. */
  private lostAt: number | null = null;
  private readonly watch: PublisherWatch;
  private readonly mine: ReadonlySet<string>;
  /** `tradeloop.bars.<interval>.`: what the session's subjects start with. */
  private readonly prefix: string;
  /** The stream's sequence of the last message read, and how many of the interval's messages the stream held after it then. */
  private lastSeq: number | null = null;
  private behind = 0;
  private batchInFlight: ConsumerMessages | null = null;
  /** Reconnected: the consumer is made again from the last sequence read. */
  private renew = false;
  private running: Promise<void> = Promise.resolve();

  constructor(options: NatsFeedOptions, output: FeedPort) {
    this.o = options;
    this.output = output;
    this.shown = shownServer(options.url);
    this.cursor = options.cursor ?? new StreamCursor(null);
    this.mine = new Set(options.symbols);
    this.prefix = `${SUBJECT_ROOT}.${options.interval}.`;
    this.intake = new StreamIntake({
      symbols: options.symbols,
      interval: options.interval,
      stream: options.stream,
      cursor: this.cursor,
      output,
      push: (item) => this.push(item),
    });
    this.watch = new PublisherWatch({
      symbols: options.symbols,
      clock: options.clock,
      staleAfterMs: options.staleAfterMs,
      staleAlertAfterMs: options.staleAlertAfterMs,
      deaf: () => this.stopped || this.paused || this.disconnected,
      onStale: (silent, symbols) => {
        const detail = `no publisher heard for ${symbols.join(', ')} in ${Math.round(silent)} ms on ${this.shown} (no heartbeat naming ${symbols.length > 1 ? 'them' : 'it'} on ${ALL_HEARTBEATS}, no bar of ${symbols.length > 1 ? 'theirs' : 'its'} on the ${this.where})`;
        output.raiseHalt('feed_stale', detail);
        this.refreshState(detail);
      },
      onSilentTooLong: (silent, symbols) =>
        output.alert(
          'stale',
          `no publisher heard for ${symbols.join(', ')} in ${Math.round(silent / 1000)} s on ${this.shown}: is tradeloop publish running for ${symbols.length > 1 ? 'them' : 'it'} into the ${this.where}? Trading stays halted (feed_stale) until one is heard.`,
        ),
      onFresh: (publisher) => {
        output.liftHalt('feed_stale');
        this.refreshState(publisher === null ? `a bar came on the ${this.where}` : `publisher ${publisher} heard`);
      },
    });
  }

  private get where(): string {
    return `stream ${this.o.stream} on ${this.shown}`;
  }

  status(): LiveFeedStatus {
    const stream: StreamStatus = {
      name: this.o.stream,
      server: this.shown,
      readThrough: this.lastSeq,
      lag: this.behind,
      publishers: this.watch.publishers,
      heartbeatAgeSeconds: this.watch.heartbeatAgeSeconds,
      gapBars: this.intake.counters.gapBars,
    };
    const state = this.state === null ? 'idle' : this.disconnected ? 'reconnecting' : this.nc === null ? 'connecting' : 'open';
    const lastMessageAgoSeconds = this.nc === null ? null : this.watch.silentSeconds;
    return { state: this.state, connections: [{ id: 1, state, stale: this.watch.stale, lastMessageAgoSeconds }], stream };
  }

  counters(): LiveFeedCounters {
    const c = this.intake.counters;
    return {
      messages: c.messages,
      malformed: c.malformed,
      closedBars: c.closedBars,
      duplicates: c.duplicates,
      outOfOrder: c.outOfOrder,
      // The stream is the tape: a gap in it is passed over, never fetched (stream-intake.ts).
      backfills: 0,
      backfilledBars: 0,
      backfillFailures: 0,
      gapSkippedBars: 0,
      connects: this.stats.connects,
      disconnects: this.stats.disconnects,
      rotations: 0,
      pauses: this.stats.pauses,
    };
  }

  seed(symbol: string, lastDecidedOpenTime: number): void {
    this.intake.seed(symbol, lastDecidedOpenTime);
  }

  /** Nothing is held back: every bar read goes to the loop at once. */
  undelivered(): Undelivered {
    return { count: 0, bySymbol: {}, reasons: [] };
  }

  isBackfilling(_symbol: string): boolean {
    return false;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.setState('connecting', `connecting to nats-server ${this.shown}`);
    this.watch.start();
    this.running = this.run();
  }

  private async run(): Promise<void> {
    const nc = await this.connect();
    if (nc === null) return;
    this.nc = nc;
    this.stats.connects++;
    if (this.disconnected) this.back(`connected to nats-server ${this.shown}`);
    void this.watchConnection(nc);
    nc.subscribe(ALL_HEARTBEATS, { callback: (_err, msg) => this.heartbeat(msg.string()) });
    await this.read(nc);
  }

  /**
   * The first connection, tried until it is made or the feed stops (the history side reached the
   * server moments ago, so this is mostly at once). Each attempt fails fast; the client then keeps
   * the connection for life, reconnecting by itself.
   */
  private async connect(): Promise<NatsConnection | null> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const nc = await connectForLife(this.o.url, { waitMs: this.o.reconnectWaitMs ?? 1000 });
        if (!this.stopped) return nc;
        await nc.close().catch(() => {});
        return null;
      } catch (err) {
        if (this.stopped) return null;
        if (!this.disconnected) this.lost(`cannot connect to nats-server ${this.shown}: ${reasonOf(err)}; retrying`);
        await this.wait(Math.min(5_000, 250 * attempt));
      }
    }
    return null;
  }

  /** The client's news about its connection: lost (alerted), back (said, and read on). */
  private async watchConnection(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.stopped) return;
      if (s.type === 'disconnect') {
        this.stats.disconnects++;
        this.lost(`lost nats-server ${this.shown}: reconnecting; the ${this.where} is read on after seq ${this.lastSeq ?? this.cursor.readThrough ?? 0}`);
      } else if (s.type === 'reconnect') {
        this.stats.connects++;
        // A server that restarted has lost the consumer, and the client finds out only after a
        // request times out: read on at once from a new one, after the last sequence read.
        this.renew = true;
        this.batchInFlight?.stop();
        this.back(`reconnected to nats-server ${this.shown}`);
      }
    }
  }

  private lost(detail: string): void {
    this.disconnected = true;
    this.lostAt = this.o.clock.monotonic();
    this.output.alert('disconnect', `${detail}. Trading goes on with what the stream holds: no bar is missed meanwhile, and none is decided until it is read`);
    this.setState('disconnected', detail);
  }

  private back(what: string): void {
    const away = this.lostAt === null ? 0 : Math.round((this.o.clock.monotonic() - this.lostAt) / 1000);
    this.disconnected = false;
    this.lostAt = null;
    // What could not be heard while away is no verdict on the publishers: their clock starts again.
    this.watch.listen();
    const on = this.lastSeq === null ? '' : `; reading on after seq ${this.lastSeq}`;
    this.refreshState(`${what} after ${away} s away${on}`);
  }

  /** Finds where to start, then reads the stream for the session's life. */
  private async read(nc: NatsConnection): Promise<void> {
    const js = jetstream(nc);
    let start: number | null = null;
    for (let attempt = 1; start === null; attempt++) {
      try {
        const found = await findStreamStart(await jetstreamManager(nc), {
          stream: this.o.stream,
          symbols: this.o.symbols,
          interval: this.o.interval,
          cursor: this.cursor,
          where: this.where,
        });
        for (const [symbol, openTime] of found.newest) this.intake.newestInStream(symbol, openTime);
        if (found.alert !== null) this.output.alert('backfill', found.alert);
        start = found.seq;
      } catch (err) {
        if (this.stopped) return;
        if (attempt === 1) this.output.alert('disconnect', `cannot read the ${this.where}: ${reasonOf(err)}; trying again`);
        await this.wait(Math.min(5_000, 250 * attempt));
        if (this.stopped) return;
      }
    }
    let consumer: Consumer | null = null;
    let failures = 0;
    // Read through the message before the first one to read: the position is known from here on.
    this.lastSeq = start - 1;
    this.watch.listen();
    while (!this.stopped) {
      try {
        if (this.renew) {
          this.renew = false;
          void consumer?.delete().catch(() => false);
          consumer = null;
        }
        consumer ??= await js.consumers.get(this.o.stream, {
          filter_subjects: intervalSubjects(this.o.interval),
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.lastSeq + 1,
        });
        await this.fetchBatch(consumer);
        failures = 0;
      } catch {
        if (this.stopped) return;
        // The ordered consumer makes itself again from its last sequence on the next fetch (a
        // server that restarted lost it); one that keeps failing is replaced from ours.
        failures++;
        if (failures >= 3) consumer = null;
        await this.wait(Math.min(5_000, 200 * failures));
      }
    }
  }

  /** One fetch: what it brings goes to the intake, waiting while the loop's queue is full. */
  private async fetchBatch(consumer: Consumer): Promise<void> {
    if (this.paused) await new Promise<void>((resolve) => (this.resumed = resolve));
    if (this.stopped) return;
    const batch = await consumer.fetch({ max_messages: this.o.batch ?? 256, expires: FETCH_EXPIRES_MS });
    this.batchInFlight = batch;
    try {
      for await (const m of batch) {
        if (this.paused) await new Promise<void>((resolve) => (this.resumed = resolve));
        if (this.stopped) break;
        this.onMessage(m);
      }
    } finally {
      this.batchInFlight = null;
    }
  }

  private onMessage(m: JsMsg): void {
    const { clock } = this.o;
    const recvWall = clock.now();
    const recvMono = clock.monotonic();
    this.lastSeq = m.seq;
    this.behind = m.info.pending;
    // A message on one of the session's symbols' subjects is news of a publisher for it; another symbol's is not.
    const symbol = m.subject.slice(this.prefix.length);
    if (this.mine.has(symbol)) this.heard([symbol], null);
    const ok = this.intake.message({ seq: m.seq, subject: m.subject, text: () => m.string() }, recvWall, recvMono);
    if (!ok) this.pause();
  }

  /**
   * A publisher's heartbeat: news for the symbols it names, if it publishes into this stream at
   * this interval. Another stream's or interval's publisher, or a message that is no heartbeat,
   * says nothing about this session's bars.
   */
  private heartbeat(text: string): void {
    const hb = decodeHeartbeat(text);
    if (!hb.ok || hb.message.stream !== this.o.stream || hb.message.interval !== this.o.interval) return;
    const mine = hb.message.symbols.filter((s) => this.mine.has(s));
    if (mine.length > 0) this.heard(mine, hb.message.publisherId);
  }

  /** A publisher spoke for these symbols: its heartbeat (`publisher` its id), or a bar read from the stream. */
  private heard(symbols: readonly string[], publisher: string | null): void {
    if (this.stopped) return;
    const wasStale = this.watch.stale;
    this.watch.heard(symbols, publisher);
    // Live once something comes: a heartbeat, or the stream's first message.
    if (!wasStale && this.state === 'connecting' && !this.disconnected)
      this.refreshState(publisher === null ? `reading the ${this.where}` : `publisher ${publisher} heard; reading the ${this.where}`);
  }

  private refreshState(detail: string): void {
    this.setState(this.disconnected ? 'disconnected' : this.watch.stale ? 'stale' : 'live', detail);
  }

  private setState(state: FeedState, detail: string): void {
    if (state === this.state || this.stopped) return;
    this.state = state;
    this.output.feedState(state, detail);
  }

  private push(item: FeedItem): boolean {
    if (this.stopped) return true;
    return this.output.push(item);
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.stats.pauses++;
    this.output.alert('queue_full', 'the bar queue is full: reading from the stream is paused until the loop catches up (no closed bar is dropped)');
  }

  /** The loop drained the queue: read again. Silence while paused was ours, not the publishers'. */
  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    this.watch.listen();
    const go = this.resumed;
    this.resumed = null;
    go?.();
  }

  /** A real-time wait between attempts (the client's own pacing is real time too), cut short by stop(). */
  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.abort.signal.aborted) return resolve();
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.watch.stop();
    this.abort.abort();
    this.resumed?.();
    this.resumed = null;
    this.batchInFlight?.stop();
    const nc = this.nc;
    this.nc = null;
    // A server that is away can hold a close up while the client's reconnect attempt times out: not the summary.
    if (nc !== null) await Promise.race([nc.close().catch(() => {}), delay(1_000, undefined, { ref: false })]);
    await this.running;
    if (this.state !== null) {
      this.state = 'stopped';
      this.output.feedState('stopped', 'feed stopped');
    }
  }
}
