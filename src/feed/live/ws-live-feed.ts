/**
 * A live feed over WebSocket connections, kept healthy; the venue is a protocol object
 * (ws-protocol.ts: Binance's is feed/binance/binance-protocol.ts), missing bars come from a
 * backfill (backfill.ts).
 *
 * - Stale: no message on a connection for staleAfterMs → feed stale, halt feed_stale (lifted by
 *   this feed only, when every connection is fresh again). Stale for staleAlertAfterMs → alert,
 *   and the connection is recycled: a socket that answers pings but sends no data is a known
 *   Binance failure (binance-connector-java#139), and only a new connection cures it.
 * - Disconnected: close frame, error, failed pong or silent death → halt feed_disconnected, alert,
 *   reconnect with full-jitter backoff inside the connection budget; gaps are backfilled.
 * - Planned reconnects (ahead of the venue's lifetime cut, on a shutdown notice) open the new connection first
 *   and retire the old one when the new one delivers: no halt, and duplicates are deduplicated.
 *   A replacement that is refused or never delivers is dropped, the old connection kept, and the
 *   rotation tried again after a backoff.
 *
 * Health (the feed state and the lifting of this feed's halts) is derived in one place,
 * refreshHealth(), from the connections' real state, after every transition: open, first message,
 * stale, fresh again, close, rotation start and end, backfill start and end. A slot (one stream
 * group) is fresh while any of its open connections, the active one or one being retired, has
 * delivered and is not stale.
 */
import type { Clock } from '../../telemetry/clock.ts';
import type { FeedState } from '../../events/types.ts';
import { Backoff, ConnectBudget } from './backoff.ts';
import type { FeedPort } from '../../engine/feed-port.ts';
import type { LiveFeed, LiveFeedCounters, LiveFeedStatus, Undelivered } from '../live-feed.ts';
import type { Backfill } from './backfill.ts';
import { BarIntake, type ConnectionCounters } from './bar-intake.ts';
import { allConnections, connectionStatus, delivering, feedHealth, fresh, type Slot } from './slot-health.ts';
import { WsConnection, type ConnectionHandlers } from './ws-connection.ts';
import type { WsProtocol } from './ws-protocol.ts';
import { StaleWatchdog } from './stale-watchdog.ts';

export interface WsLiveFeedOptions {
  readonly symbols: readonly string[];
  readonly interval: string;
  /** The venue: its URLs, subscriptions, messages and connection lifetime. */
  readonly protocol: WsProtocol;
  /** Where gaps are fetched from. */
  readonly backfill: Backfill;
  readonly clock: Clock;
  readonly random: () => number;
  readonly staleAfterMs: number;
  readonly staleAlertAfterMs: number;
  readonly pingIntervalMs: number;
  /** The longest gap a backfill fetches, in bars; a longer one is a `gap` skip range (SymbolPipeline). */
  readonly maxBackfillBars?: number;
  readonly pongTimeoutMs?: number;
  /** Rotate each connection after this long (default: the protocol's lifetime). */
  readonly lifetimeMs?: number;
  readonly connectTimeoutMs?: number;
  readonly closeGraceMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** A connection open this long resets the backoff. */
  readonly healthyResetMs?: number;
  /** Offset of the exchange's clock from ours (the estimate is refreshed elsewhere): no event can come from its future. */
  readonly clockOffset?: { readonly offsetMs: number };
}

export class WsLiveFeed implements LiveFeed {
  private readonly stats: { -readonly [K in keyof ConnectionCounters]: number } = { messages: 0, connects: 0, disconnects: 0, rotations: 0, pauses: 0 };
  private readonly intake: BarIntake;
  private readonly options: WsLiveFeedOptions;
  private readonly protocol: WsProtocol;
  private readonly output: FeedPort;
  private readonly slots: Slot[];
  private readonly budget = new ConnectBudget();
  private readonly abort = new AbortController();
  private readonly handlers: ConnectionHandlers;
  private readonly watchdog: StaleWatchdog;
  private state: FeedState | null = null;
  private stopped = false;
  private paused = false;
  /** A failure to connect at all was alerted (once, until a connection opens). */
  private unreachableSaid = false;
  private readonly closing = new Set<WsConnection>();
  private allClosed: (() => void) | null = null;

  constructor(options: WsLiveFeedOptions, output: FeedPort) {
    this.options = options;
    this.protocol = options.protocol;
    this.output = output;
    this.slots = options.protocol.plan().map((plan) => ({
      plan,
      active: null,
      retiring: [],
      reconnectTimer: null,
      lifetimeTimer: null,
      backoff: new Backoff({ baseMs: options.backoffBaseMs ?? 1000, capMs: options.backoffCapMs ?? 30_000, random: options.random }),
    }));
    this.intake = new BarIntake({
      symbols: options.symbols,
      interval: options.interval,
      clock: options.clock,
      random: options.random,
      backfill: options.backfill,
      signal: this.abort.signal,
      ...(options.maxBackfillBars !== undefined ? { maxBackfillBars: options.maxBackfillBars } : {}),
      output,
      push: (item) => this.push(item),
      onHealthChange: (detail) => this.refreshHealth(detail),
    });
    this.watchdog = new StaleWatchdog({
      clock: options.clock,
      slots: this.slots,
      staleAfterMs: options.staleAfterMs,
      staleAlertAfterMs: options.staleAlertAfterMs,
      paused: () => this.paused,
      onStale: (slot, conn, silent) => this.onStale(slot, conn, silent),
      onSilentTooLong: (slot, conn, silent) => this.onSilentTooLong(slot, conn, silent),
    });
    this.handlers = {
      onOpen: (conn) => this.onOpen(conn),
      onMessage: (conn, text) => this.onMessage(conn, text),
      onClose: (conn, code, reason) => this.onClose(conn, code, reason),
      onControlError: (_conn, message) => output.alert('malformed', message),
    };
  }

  get connections(): number {
    return this.slots.length;
  }

  /** The feed's state and each active connection's, for the session's status (and metrics). */
  status(): LiveFeedStatus {
    return { state: this.state, connections: connectionStatus(this.slots, this.options.clock.monotonic()) };
  }

  counters(): LiveFeedCounters {
    return this.intake.counters(this.stats);
  }

  seed(symbol: string, lastDecidedOpenTime: number): void {
    this.intake.pipeline.seed(symbol, lastDecidedOpenTime);
  }

  undelivered(): Undelivered {
    return this.intake.pipeline.undelivered();
  }

  start(): void {
    for (let i = 0; i < this.slots.length; i++) this.connect(i);
    this.watchdog.start();
  }

  private newConnection(index: number): WsConnection {
    const o = this.options;
    const slot = this.slots[index]!;
    this.budget.record(o.clock.now());
    this.stats.connects++;
    return new WsConnection(
      index,
      {
        url: slot.plan.url,
        subscribeBatches: slot.plan.subscribeBatches,
        clock: o.clock,
        pingIntervalMs: o.pingIntervalMs,
        pongTimeoutMs: o.pongTimeoutMs ?? Math.min(10_000, o.pingIntervalMs),
        connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
        closeGraceMs: o.closeGraceMs ?? 1000,
        protocol: this.protocol,
      },
      this.handlers,
    );
  }

  private connect(index: number): void {
    if (this.stopped) return;
    const slot = this.slots[index]!;
    slot.reconnectTimer = null;
    const conn = this.newConnection(index);
    slot.active = conn;
    conn.open();
    this.refreshHealth(`connection ${conn.id} connecting to ${this.protocol.shownUrl}`);
  }

  private scheduleReconnect(index: number): void {
    const slot = this.slots[index]!;
    if (this.stopped || slot.reconnectTimer) return;
    const { clock } = this.options;
    const delay = Math.max(slot.backoff.next(), this.budget.waitBefore(clock.now()));
    slot.reconnectTimer = clock.setTimer(() => this.connect(index), delay);
  }

  /** Overlap-first: the new connection opens while the old one keeps delivering. */
  rotate(index: number, why: string): void {
    const slot = this.slots[index]!;
    if (this.stopped || !slot.active || slot.active.state !== 'open' || slot.retiring.length > 0) return;
    this.stats.rotations++;
    slot.retiring.push(slot.active);
    this.options.clock.clearTimer(slot.lifetimeTimer);
    slot.lifetimeTimer = null;
    const conn = this.newConnection(index);
    slot.active = conn;
    this.output.feedState(this.state ?? 'live', `rotating connection ${slot.retiring[0]!.id} → ${conn.id}: ${why}`);
    conn.open();
    this.refreshHealth(`rotating to connection ${conn.id}`);
  }

  private scheduleRotation(index: number, delayMs: number, why: string): void {
    const slot = this.slots[index]!;
    const { clock } = this.options;
    clock.clearTimer(slot.lifetimeTimer);
    slot.lifetimeTimer = clock.setTimer(() => this.rotate(index, why), delayMs);
  }

  private onOpen(conn: WsConnection): void {
    const slot = this.slots[conn.slot]!;
    if (slot.active !== conn) return;
    // A replacement in a rotation inherits nothing: its own lifetime starts when it takes over.
    if (slot.retiring.length === 0) this.scheduleLifetime(conn.slot);
    if (this.paused) conn.pause();
    this.unreachableSaid = false;
    this.refreshHealth(`connection ${conn.id} open`);
  }

  /**
   * The active connection delivered its first message: a rotation's old connections go, and a
   * replacement's lifetime starts now (also when the old one died before it delivered).
   */
  private tookOver(slot: Slot, conn: WsConnection): void {
    for (const old of slot.retiring.splice(0)) {
      old.planned = true;
      this.closeConnection(old);
    }
    if (slot.lifetimeTimer === null) this.scheduleLifetime(conn.slot);
  }

  private scheduleLifetime(index: number): void {
    const { lifetime } = this.protocol;
    this.scheduleRotation(index, this.options.lifetimeMs ?? lifetime.ms, lifetime.why);
  }

  private onMessage(conn: WsConnection, text: string): void {
    const { clock } = this.options;
    const recvWall = clock.now();
    const recvMono = clock.monotonic();
    this.stats.messages++;
    const slot = this.slots[conn.slot]!;
    // Health changes only on a connection's first message or when a stale one speaks again:
    // everything else is the hot path (1000 symbols: two messages each a second).
    let changed = false;
    if (!conn.delivered) {
      conn.delivered = true;
      changed = true;
      if (slot.active === conn) this.tookOver(slot, conn);
    }
    if (conn.stale) {
      conn.stale = false;
      conn.staleAlerted = false;
      changed = true;
    }
    if (changed) this.refreshHealth(`connection ${conn.id} delivering`);
    const msg = this.protocol.parse(text, recvWall + (this.options.clockOffset?.offsetMs ?? 0));
    switch (msg.kind) {
      case 'kline':
        this.intake.kline(msg, recvWall, recvMono);
        return;
      case 'shutdown':
        this.rotate(conn.slot, 'serverShutdown');
        return;
      case 'control':
        return;
      case 'malformed':
        this.intake.malformedMessage(msg, `connection ${conn.id}`);
    }
  }

  private onClose(conn: WsConnection, code: number, reason: string): void {
    const { clock } = this.options;
    if (this.closing.delete(conn) && this.closing.size === 0) this.allClosed?.();
    const slot = this.slots[conn.slot]!;
    const retiringAt = slot.retiring.indexOf(conn);
    if (retiringAt >= 0) slot.retiring.splice(retiringAt, 1);
    if (this.stopped || conn.planned) return;
    const detail = `connection ${conn.id} closed (code ${code}${reason ? `, ${reason.slice(0, 120)}` : ''})`;
    if (slot.active === conn) {
      // The replacement in a rotation failed (refused, or silent): the old connection is still
      // good. Keep it, and try the rotation again after a backoff: it must still happen.
      const fallback = slot.retiring.find((c) => c.state === 'open');
      if (fallback) {
        slot.retiring.splice(slot.retiring.indexOf(fallback), 1);
        slot.active = fallback;
        const delay = Math.max(slot.backoff.next(), this.budget.waitBefore(clock.now()));
        this.scheduleRotation(conn.slot, delay, `retry of a rotation that failed: ${detail}`);
        this.refreshHealth(`rotation to connection ${conn.id} failed (${detail}): connection ${fallback.id} kept`);
        return;
      }
      if (conn.openedAt > 0 && clock.monotonic() - conn.openedAt >= (this.options.healthyResetMs ?? 60_000)) slot.backoff.reset();
      clock.clearTimer(slot.lifetimeTimer);
      slot.lifetimeTimer = null;
      slot.active = null;
      this.scheduleReconnect(conn.slot);
    }
    // Data stopped for this slot (its active connection, or the old one of a rotation whose
    // replacement has not delivered yet, is gone): a disconnect.
    if (!delivering(slot)) {
      this.stats.disconnects++;
      if (this.state !== 'disconnected' && this.state !== 'connecting') this.output.alert('disconnect', detail);
      else if (!this.unreachableSaid) {
        // Never connected yet (a server that accepts and never answers the upgrade): said once, not never.
        this.unreachableSaid = true;
        this.output.alert('disconnect', `cannot connect: ${detail}; retrying with backoff`);
      }
      this.output.raiseHalt('feed_disconnected', detail);
    }
    this.refreshHealth(detail);
  }

  private onStale(slot: Slot, conn: WsConnection, silent: number): void {
    const detail = `no message on connection ${conn.id} for ${Math.round(silent)} ms`;
    // A silent replacement while the old connection delivers is not a stale feed.
    if (!fresh(slot)) this.output.raiseHalt('feed_stale', detail);
    this.refreshHealth(detail);
  }

  private onSilentTooLong(slot: Slot, conn: WsConnection, silent: number): void {
    const replacing = slot.active === conn && slot.retiring.length > 0;
    this.output.alert(
      'stale',
      replacing
        ? `connection ${conn.id}, opened to replace ${slot.retiring.map((c) => c.id).join(', ')}, sent nothing for ${Math.round(silent)} ms: dropped, the old one kept`
        : `feed stale for ${Math.round(silent)} ms on connection ${conn.id}: reconnecting`,
    );
    conn.terminate();
  }

  /** One place decides the feed's state and lifts the halts this feed raised, when they no longer hold. */
  private refreshHealth(detail: string): void {
    const health = feedHealth(this.slots, this.intake.pipeline.anyBackfilling);
    if (!health.stale) this.output.liftHalt('feed_stale');
    if (!health.down) this.output.liftHalt('feed_disconnected');
    this.setState(health.state, detail);
  }

  private setState(state: FeedState, detail: string): void {
    if (state === this.state) return;
    this.state = state;
    this.output.feedState(state, detail);
  }

  private push(item: Parameters<FeedPort['push']>[0]): boolean {
    const ok = this.output.push(item);
    if (!ok && !this.paused) {
      this.paused = true;
      this.stats.pauses++;
      for (const slot of this.slots) for (const c of allConnections(slot)) c.pause();
      this.output.alert('queue_full', 'the bar queue is full: reading from the socket is paused until the loop catches up (no closed bar is dropped)');
    }
    return ok;
  }

  /** The loop drained the queue: read again. Silence while paused was ours, not the feed's. */
  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    const now = this.options.clock.monotonic();
    for (const slot of this.slots) {
      for (const c of allConnections(slot)) {
        c.lastMessageAt = Math.max(c.lastMessageAt, now);
        c.resume();
      }
    }
  }

  isBackfilling(symbol: string): boolean {
    return this.intake.pipeline.isBackfilling(symbol);
  }

  /** Closes every connection (close frame, then terminate after the grace) and aborts requests. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const { clock } = this.options;
    this.watchdog.stop();
    this.intake.pipeline.stop();
    this.abort.abort();
    const done = new Promise<void>((resolve) => (this.allClosed = resolve));
    for (const slot of this.slots) {
      clock.clearTimer(slot.reconnectTimer);
      clock.clearTimer(slot.lifetimeTimer);
      for (const c of allConnections(slot)) this.closeConnection(c);
    }
    if (this.closing.size > 0) await done;
    this.setState('stopped', 'feed stopped');
  }

  private closeConnection(conn: WsConnection): void {
    if (conn.state === 'closed' || conn.state === 'idle') return;
    this.closing.add(conn);
    // A paused socket would not read the peer's close frame: only the grace's terminate would end it.
    conn.resume();
    conn.close();
  }
}
