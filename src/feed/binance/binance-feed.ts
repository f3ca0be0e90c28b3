/**
 * The Binance kline feed: one or more combined-stream connections, kept healthy.
 *
 * - Stale: no message on a connection for staleAfterMs → feed stale, halt feed_stale (lifted by
 *   this feed only, when every connection is fresh again). Stale for staleAlertAfterMs → alert,
 *   and the connection is recycled: a socket that answers pings but sends no data is a known
 *   Binance failure (binance-connector-java#139), and only a new connection cures it.
 * - Disconnected: close frame, error, failed pong or silent death → halt feed_disconnected, alert,
 *   reconnect with full-jitter backoff inside the connection budget; gaps are backfilled.
 * - Planned reconnects (ahead of the 24 h cut, on serverShutdown) open the new connection first
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
import { redactUrl } from '../../config/redact-url.ts';
import type { ReceivedBar, FeedPort } from '../../engine/feed-port.ts';
import { parseStreamMessage } from './kline-message.ts';
import type { RestClient } from './rest-client.ts';
import { combinedUrl, planConnections, streamName } from './stream-names.ts';
import { SymbolPipeline } from './symbol-pipeline.ts';
import { SymbolWatch } from './symbol-watch.ts';
import { allConnections, delivering, feedHealth, fresh, type Slot } from './slot-health.ts';
import { WsConnection, type ConnectionHandlers } from './ws-connection.ts';
import { StaleWatchdog } from './stale-watchdog.ts';

export interface BinanceFeedOptions {
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly wsUrl: string;
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly random: () => number;
  readonly staleAfterMs: number;
  readonly staleAlertAfterMs: number;
  readonly pingIntervalMs: number;
  /** The longest gap a backfill fetches, in bars; a longer one is a `gap` skip range (SymbolPipeline). */
  readonly maxBackfillBars?: number;
  readonly pongTimeoutMs?: number;
  /** Rotate each connection after this long (Binance cuts at 24 h). */
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

export interface FeedStats {
  messages: number;
  malformed: number;
  connects: number;
  disconnects: number;
  rotations: number;
  pauses: number;
}

export class BinanceFeed {
  readonly stats: FeedStats = { messages: 0, malformed: 0, connects: 0, disconnects: 0, rotations: 0, pauses: 0 };
  readonly pipeline: SymbolPipeline;
  private readonly watch: SymbolWatch;
  private readonly options: BinanceFeedOptions;
  private readonly output: FeedPort;
  private readonly streams = new Map<string, { symbol: string; interval: string }>();
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

  constructor(options: BinanceFeedOptions, output: FeedPort) {
    this.options = options;
    this.output = output;
    for (const symbol of options.symbols) this.streams.set(streamName(symbol, options.interval), { symbol, interval: options.interval });
    this.slots = planConnections([...this.streams.keys()]).map((plan) => ({
      plan,
      active: null,
      retiring: [],
      reconnectTimer: null,
      lifetimeTimer: null,
      backoff: new Backoff({ baseMs: options.backoffBaseMs ?? 1000, capMs: options.backoffCapMs ?? 30_000, random: options.random }),
    }));
    this.pipeline = new SymbolPipeline({
      interval: options.interval,
      clock: options.clock,
      rest: options.rest,
      random: options.random,
      signal: this.abort.signal,
      ...(options.maxBackfillBars !== undefined ? { maxBackfillBars: options.maxBackfillBars } : {}),
      // Explicit delegation: `output` is a class instance, whose methods a spread would not copy.
      onBackfillChange: (detail) => this.refreshHealth(detail),
      output: {
        push: (item) => this.push(item),
        // The state is derived here, never set from outside: a backfill's news only asks for it.
        feedState: (_s, d) => this.refreshHealth(d),
        raiseHalt: (r, d) => output.raiseHalt(r, d),
        liftHalt: (r) => output.liftHalt(r),
        alert: (k, m) => output.alert(k, m),
        quote: (s, p, t) => output.quote(s, p, t),
      },
    });
    this.watch = new SymbolWatch({ symbols: options.symbols, interval: options.interval, clock: options.clock, alert: (m) => output.alert('malformed', m) });
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
  status(): { state: FeedState | null; connections: Array<{ id: number; state: string; stale: boolean; lastMessageAgoSeconds: number | null }> } {
    const now = this.options.clock.monotonic();
    const connections = [];
    for (const slot of this.slots) {
      const c = slot.active;
      if (!c) continue;
      connections.push({
        id: c.id,
        state: c.state,
        stale: c.stale,
        lastMessageAgoSeconds: c.state === 'open' || c.state === 'closing' ? Math.round((now - c.lastMessageAt) / 100) / 10 : null,
      });
    }
    return { state: this.state, connections };
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
        url: combinedUrl(o.wsUrl, slot.plan.urlStreams),
        subscribeBatches: slot.plan.subscribeBatches,
        clock: o.clock,
        pingIntervalMs: o.pingIntervalMs,
        pongTimeoutMs: o.pongTimeoutMs ?? Math.min(10_000, o.pingIntervalMs),
        connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
        closeGraceMs: o.closeGraceMs ?? 1000,
        subscribeGapMs: 250,
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
    this.refreshHealth(`connection ${conn.id} connecting to ${redactUrl(this.options.wsUrl)}`);
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
    if (slot.retiring.length === 0)
      this.scheduleRotation(conn.slot, this.options.lifetimeMs ?? (23 * 60 + 30) * 60_000, 'connection lifetime (Binance cuts at 24 h)');
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
    if (slot.lifetimeTimer === null)
      this.scheduleRotation(conn.slot, this.options.lifetimeMs ?? (23 * 60 + 30) * 60_000, 'connection lifetime (Binance cuts at 24 h)');
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
    const msg = parseStreamMessage(text, this.streams, recvWall + (this.options.clockOffset?.offsetMs ?? 0));
    switch (msg.kind) {
      case 'kline': {
        const symbol = msg.bar.symbol;
        this.output.quote(symbol, msg.bar.close, msg.eventTime);
        this.watch.seen(symbol);
        if (msg.closed) {
          const item: ReceivedBar = { kind: 'bar', bar: msg.bar, eventTime: msg.eventTime, recvWall, recvMono, newestOpenTime: msg.bar.openTime };
          const verdict = this.pipeline.closed(item, msg.stream);
          if (verdict === 'ok') this.watch.accepted(symbol);
          else this.watch.skipped(symbol, verdict);
        }
        return;
      }
      case 'shutdown':
        this.rotate(conn.slot, 'serverShutdown');
        return;
      case 'control':
        return;
      case 'malformed':
        this.stats.malformed++;
        if (msg.symbol !== null) {
          this.watch.seen(msg.symbol);
          this.watch.skipped(msg.symbol, `malformed: ${msg.message}`);
        }
        this.push({
          kind: 'skip',
          event: { type: 'skip', symbol: msg.symbol, openTime: msg.openTime, reason: 'malformed', origin: `connection ${conn.id}`, message: msg.message },
        });
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
    const health = feedHealth(this.slots, this.pipeline.anyBackfilling);
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
    return this.pipeline.isBackfilling(symbol);
  }

  /** Closes every connection (close frame, then terminate after the grace) and aborts requests. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const { clock } = this.options;
    this.watchdog.stop();
    this.pipeline.stop();
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
