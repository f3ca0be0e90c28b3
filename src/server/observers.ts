/**
 * What the session's HTTP server shows beyond /status and /control: the live state (a sink on the
 * bus), the Prometheus metrics, the health monitor, and the dashboard. Built with the bus (its
 * sinks must be there from run_start on); the session is bound when it exists.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { LotSteps } from '../events/lot-steps.ts';
import type { Session } from '../session/session.ts';
import type { EventCounter } from '../sinks/event-counter.ts';
import type { WebhookStats } from '../sinks/webhook-alerts.ts';
import type { Clock } from '../telemetry/clock.ts';
import { SessionMetrics } from './metrics.ts';
import { HealthMonitor } from './health.ts';
import { LiveState } from './live-state.ts';
import { DashboardStream } from './dashboard-stream.ts';

export interface ObserversOptions {
  readonly runId: string;
  readonly mode: 'static' | 'realtime';
  readonly clock: Clock;
  readonly counter: EventCounter;
  readonly webhooks: () => WebhookStats | null;
  /** Each symbol's lot step, in which the dashboard shows events' quantities. */
  readonly lots: LotSteps;
}

export class SessionObservers {
  readonly options: ObserversOptions;
  readonly live: LiveState;
  readonly metrics: SessionMetrics;
  readonly health: HealthMonitor;
  readonly stream: DashboardStream;
  private session: Session | null = null;
  private readonly closers: Array<() => void> = [];

  constructor(options: ObserversOptions) {
    this.options = options;
    const { clock, counter } = options;
    this.live = new LiveState();
    const session = (): Session => {
      if (this.session === null) throw new Error('the observers are not bound to a session yet'); // a bug: routes start after bind
      return this.session;
    };
    this.metrics = new SessionMetrics(
      {
        status: () => session().status(),
        counts: counter,
        feedState: () => this.live.feedState,
        drawdown: () => this.live.drawdown,
        webhooks: () => options.webhooks() as Record<string, number> | null,
        feedCounters: () => this.session?.options.feedCounters?.() ?? null,
        queueDepth: () => this.session?.options.queueDepth?.() ?? null,
      },
      { runId: options.runId, mode: options.mode },
    );
    this.health = new HealthMonitor(
      {
        mode: options.mode,
        status: () => session().status(),
        feedState: () => this.live.feedState,
        decided: () => counter.of('bar'),
        queueDepth: () => this.session?.options.queueDepth?.() ?? null,
      },
      clock,
    );
    this.stream = new DashboardStream(this.live, () => this.session, clock, options.lots);
  }

  get sinks(): EventSink[] {
    return [this.live, this.metrics];
  }

  get bound(): Session | null {
    return this.session;
  }

  /** Binds the session and starts the health monitor's timer. */
  start(session: Session): void {
    this.session = session;
    this.health.start();
    this.stream.start();
    this.closers.push(
      () => this.health.stop(),
      () => this.stream.close(),
    );
  }

  /** Something to stop before the server closes (dashboard streams, timers). */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  close(): void {
    for (const fn of this.closers.splice(0)) fn();
  }
}
