/**
 * The dashboard's live stream (Server-Sent Events): a snapshot when a page connects, then once a
 * second the session's status with the new points of the equity curve, and every notable event
 * (fills, rejects, cancels, halts, feed changes, alerts) as it happens.
 *
 * A browser never slows the loop: writes never wait, and each client holds at most MAX_QUEUED
 * messages (MAX_BYTES) while its socket is full. Past that its backlog is dropped and it gets a
 * fresh snapshot once the socket drains (it skips ahead); a client that has not drained for
 * DROP_AFTER_MS is disconnected (its page reconnects by itself).
 */
import { eventView } from '../events/event-view.ts';
import type { LotSteps } from '../events/lot-steps.ts';
import type { Session } from '../session/session.ts';
import type { Clock, TimerHandle } from '../telemetry/clock.ts';
import { SEGMENTS } from '../telemetry/latency.ts';
import type { StreamOut } from './http-types.ts';
import { NOTABLE, type LiveItem, type LiveState } from './live-state.ts';

export const MAX_QUEUED = 256;
export const MAX_BYTES = 1 << 20;
export const DROP_AFTER_MS = 30_000;
const TICK_MS = 1000;

class Client {
  readonly out: StreamOut;
  queue: string[] = [];
  bytes = 0;
  /** Its backlog was dropped: it gets a snapshot instead once the socket drains. */
  resync = false;
  /** Monotonic ms since which the socket has been full; null while it takes writes. */
  fullSince: number | null = null;
  /** Index into the curve already sent. */
  curveSent = 0;

  constructor(out: StreamOut) {
    this.out = out;
  }
}

export class DashboardStream {
  private readonly clients = new Set<Client>();
  private readonly live: LiveState;
  private readonly session: () => Session | null;
  private readonly clock: Clock;
  private timer: TimerHandle | null = null;
  private readonly unsubscribe: () => void;
  /** Clients dropped for not draining, and backlogs skipped (for tests and curiosity). */
  dropped = 0;
  skipped = 0;

  /** Each symbol's lot step: events carry lots, the page shows asset units. */
  private readonly lots: LotSteps;

  constructor(live: LiveState, session: () => Session | null, clock: Clock, lots: LotSteps) {
    this.live = live;
    this.session = session;
    this.clock = clock;
    this.lots = lots;
    // Serialised only when a page is watching: a static run's fills cost nothing without one.
    this.unsubscribe = live.onItem((item) => {
      if (this.clients.size > 0) this.broadcast('item', JSON.stringify(this.itemObject(item)));
    });
  }

  private itemObject(item: LiveItem): unknown {
    return { seq: item.seq, type: item.type, time: item.time, event: eventView(item.event, this.lots) };
  }

  get size(): number {
    return this.clients.size;
  }

  start(): void {
    const tick = (): void => {
      this.tick();
      this.timer = this.clock.setTimer(tick, TICK_MS);
    };
    this.timer = this.clock.setTimer(tick, TICK_MS);
  }

  /** A page connected: the stream's head is written by the server; this sends the snapshot. */
  attach(out: StreamOut): void {
    const c = new Client(out);
    this.clients.add(c);
    out.on('drain', () => this.drained(c));
    out.on('close', () => this.clients.delete(c));
    out.write('retry: 2000\n\n');
    this.send(c, 'snapshot', this.snapshot(c));
  }

  private snapshot(c: Client): string {
    const s = this.session();
    const curve = this.live.curve;
    c.curveSent = curve.times.length;
    const recent: Record<string, unknown[]> = {};
    for (const t of NOTABLE) recent[t] = this.live.recentOf(t).map((item) => this.itemObject(item));
    return JSON.stringify({
      now: this.clock.now(),
      status: s?.status() ?? null,
      latency: this.latency(),
      feedState: this.live.feedState,
      feedSince: this.live.feedSince,
      drawdown: this.live.drawdown,
      peak: this.live.peak,
      curve: { t: curve.times, v: curve.values },
      recent,
    });
  }

  private latency(): Record<string, { p50: number; p99: number; count: number }> | null {
    const sum = this.live.latency.summary();
    if ((sum.total?.count ?? 0) === 0) return null;
    const out: Record<string, { p50: number; p99: number; count: number }> = {};
    for (const seg of SEGMENTS) out[seg] = { p50: sum[seg]!.p50, p99: sum[seg]!.p99, count: sum[seg]!.count };
    return out;
  }

  /** Once a second: status, latency and the curve's new points, to every client. */
  tick(): void {
    if (this.clients.size === 0) return;
    const s = this.session();
    const status = s?.status() ?? null;
    const latency = this.latency();
    const curve = this.live.curve;
    const now = this.clock.monotonic();
    for (const c of [...this.clients]) {
      if (c.fullSince !== null && now - c.fullSince >= DROP_AFTER_MS) {
        this.dropped++;
        this.clients.delete(c);
        c.out.destroy();
        continue;
      }
      // The curve may have halved its resolution since this client's last tick: then it gets all of it again.
      const from = c.curveSent <= curve.times.length ? c.curveSent : 0;
      const points = { reset: from === 0 && c.curveSent > 0, t: curve.times.slice(from), v: curve.values.slice(from) };
      c.curveSent = curve.times.length;
      this.send(
        c,
        'status',
        JSON.stringify({
          now: this.clock.now(),
          status,
          latency,
          feedState: this.live.feedState,
          feedSince: this.live.feedSince,
          drawdown: this.live.drawdown,
          peak: this.live.peak,
          points,
        }),
      );
    }
  }

  private broadcast(event: string, data: string): void {
    for (const c of this.clients) this.send(c, event, data);
  }

  private send(c: Client, event: string, data: string): void {
    const frame = `event: ${event}\ndata: ${data}\n\n`;
    if (c.resync) return; // it will get a snapshot when it drains
    if (c.fullSince === null && !c.out.writableNeedDrain) {
      if (!c.out.write(frame)) c.fullSince = this.clock.monotonic();
      return;
    }
    c.fullSince ??= this.clock.monotonic();
    c.queue.push(frame);
    c.bytes += frame.length;
    if (c.queue.length > MAX_QUEUED || c.bytes > MAX_BYTES) {
      this.skipped++;
      c.queue = [];
      c.bytes = 0;
      c.resync = true;
    }
  }

  private drained(c: Client): void {
    c.fullSince = null;
    if (c.resync) {
      c.resync = false;
      this.send(c, 'snapshot', this.snapshot(c));
      return;
    }
    const queued = c.queue;
    c.queue = [];
    c.bytes = 0;
    for (const frame of queued) {
      if (c.fullSince !== null) {
        c.queue.push(frame);
        c.bytes += frame.length;
      } else if (!c.out.write(frame)) c.fullSince = this.clock.monotonic();
    }
  }

  close(): void {
    this.clock.clearTimer(this.timer);
    this.timer = null;
    this.unsubscribe();
    for (const c of this.clients) c.out.end();
    this.clients.clear();
  }
}
