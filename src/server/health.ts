/**
 * GET /healthz: 200 while the session is alive and, in realtime, its feed fresh; 503 with the
 * reasons otherwise. A static session is healthy while it runs. A realtime one is not when:
 * - the feed is not live: its state (status().feed, or the newest `feed` event) is connecting,
 *   stale, disconnected or stopped, a connection is stale, or a feed halt (feed_stale,
 *   feed_disconnected) is held;
 * - the loop is stuck: bars wait in its queue and it has decided none for LOOP_STUCK_MS. The queue
 *   is looked at on every check and every second (the clock's timer), so one slow turn is not
 *   taken for a stuck loop: the wait counts from the first look that saw bars queued and no
 *   progress since the look before.
 */
import type { SessionStatus } from '../session/status.ts';
import type { Clock, TimerHandle } from '../telemetry/clock.ts';

export const LOOP_STUCK_MS = 10_000;

export interface HealthSources {
  readonly mode: 'static' | 'realtime';
  status(): SessionStatus;
  feedState(): string | null;
  /** Bars decided so far (progress). */
  decided(): number;
  queueDepth?(): number | null;
}

export interface Health {
  readonly ok: boolean;
  readonly reasons: ReadonlyArray<{ readonly reason: string; readonly detail: string }>;
}

export class HealthMonitor {
  private readonly src: HealthSources;
  private readonly clock: Clock;
  private lastDecided = -1;
  /** Monotonic ms since which bars have waited with no bar decided; null: none waiting or progress seen. */
  private waitingSince: number | null = null;
  private timer: TimerHandle | null = null;

  constructor(src: HealthSources, clock: Clock) {
    this.src = src;
    this.clock = clock;
  }

  /** Looks at the queue every second until stop(). */
  start(): void {
    const tick = (): void => {
      this.observe();
      this.timer = this.clock.setTimer(tick, 1000);
    };
    this.timer = this.clock.setTimer(tick, 1000);
  }

  stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private observe(): number {
    const now = this.clock.monotonic();
    const queued = this.src.queueDepth?.() ?? 0;
    const decided = this.src.decided();
    if (queued === 0 || decided !== this.lastDecided) this.waitingSince = queued === 0 ? null : now;
    else if (this.waitingSince === null) this.waitingSince = now;
    this.lastDecided = decided;
    return queued;
  }

  check(): Health {
    const queued = this.observe();
    if (this.src.mode === 'static') return { ok: true, reasons: [] };
    const reasons: Array<{ reason: string; detail: string }> = [];
    const status = this.src.status();
    const state = status.feed?.state ?? this.src.feedState();
    if (state !== 'live' && state !== 'backfilling') reasons.push({ reason: state ?? 'connecting', detail: `the feed is ${state ?? 'not connected yet'}` });
    for (const c of status.feed?.connections ?? []) {
      if (c.stale) reasons.push({ reason: 'stale', detail: `connection ${c.id}: no message for ${c.lastMessageAgoSeconds ?? '?'} s` });
    }
    for (const h of status.halts) {
      if ((h.reason === 'feed_stale' || h.reason === 'feed_disconnected') && !reasons.some((r) => r.reason === h.reason.slice(5))) {
        reasons.push({ reason: h.reason.slice(5), detail: h.detail });
      }
    }
    if (this.waitingSince !== null && this.clock.monotonic() - this.waitingSince >= LOOP_STUCK_MS) {
      reasons.push({
        reason: 'loop_stuck',
        detail: `${queued} bar(s) queued and none decided for ${Math.round((this.clock.monotonic() - this.waitingSince) / 1000)} s`,
      });
    }
    return { ok: reasons.length === 0, reasons };
  }
}
