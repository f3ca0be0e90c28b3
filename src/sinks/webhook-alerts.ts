/**
 * Alerts to webhooks (--alert-webhook URL, repeatable): each alert as a JSON POST carrying kind,
 * message, runId, state and time, plus `text` and `content`, so Slack and Discord incoming webhooks
 * accept it as it is. Delivery never blocks or slows the loop: write() only enqueues; one worker
 * per URL posts in order, with a 2 s timeout and retries with backoff; the queue is bounded (the
 * oldest is dropped first, and counted); repeats of one kind within a minute are folded into one
 * message that says how many were suppressed. Every delay runs on the injected clock.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { AlertKind, TradingStateName } from '../events/reasons.ts';
import type { TradeEvent } from '../events/types.ts';
import type { Clock, TimerHandle } from '../telemetry/clock.ts';

export const WEBHOOK_TIMEOUT_MS = 2000;
export const FOLD_WINDOW_MS = 60_000;
const QUEUE_MAX = 256;
const RETRY_DELAYS_MS = [1000, 2000, 4000];

export interface WebhookStats {
  delivered: number;
  retried: number;
  /** Dropped from a full queue, oldest first. */
  dropped: number;
  /** Given up after every retry failed. */
  failed: number;
  /** Folded into a later "N more" message. */
  suppressed: number;
}

export interface WebhookPayload {
  readonly kind: AlertKind;
  readonly message: string;
  readonly runId: string;
  readonly state: TradingStateName;
  readonly time: string;
  readonly suppressed?: number;
  readonly text: string;
  readonly content: string;
}

/** A webhook URL as it may be shown: scheme and host only (Slack's and Discord's paths are secrets). */
/**
 * fetch() refuses a URL with user:pass@ in it (every delivery would fail, silently): the
 * credentials travel as HTTP Basic auth instead, as curl and browsers send them.
 */
export function splitCredentials(url: string): { target: string; authorization: string | null } {
  const u = new URL(url);
  if (u.username === '' && u.password === '') return { target: url, authorization: null };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { target: u.href, authorization: `Basic ${basic}` };
}

export function webhookLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return 'webhook';
  }
}

class Target {
  readonly url: string;
  readonly queue: WebhookPayload[] = [];
  busy = false;

  constructor(url: string) {
    this.url = url;
  }
}

export interface WebhookAlertsOptions {
  readonly urls: readonly string[];
  readonly runId: string;
  readonly clock: Clock;
  /** Payloads held per URL before the oldest is dropped (default 256). */
  readonly queueMax?: number;
}

export class WebhookAlerts implements EventSink {
  readonly stats: WebhookStats = { delivered: 0, retried: 0, dropped: 0, failed: 0, suppressed: 0 };
  private readonly options: WebhookAlertsOptions;
  private readonly targets: Target[];
  private state: TradingStateName = 'ACTIVE';
  /** Per kind: when its last alert went out, and what was folded since. */
  private readonly folds = new Map<AlertKind, { sentAt: number; count: number; last: string; timer: TimerHandle | null }>();
  private readonly timers = new Set<TimerHandle>();
  private idle: (() => void) | null = null;
  private closed = false;

  constructor(options: WebhookAlertsOptions) {
    this.options = options;
    this.targets = options.urls.map((u) => new Target(u));
  }

  write(_seq: number, e: TradeEvent): void {
    if (e.type === 'trading_state') this.state = e.to;
    else if (e.type === 'halt' || e.type === 'resume') this.state = e.state;
    else if (e.type === 'alert') this.alert(e.kind, e.message, e.at);
  }

  private alert(kind: AlertKind, message: string, at: number | undefined): void {
    if (this.closed) return;
    const now = this.options.clock.monotonic();
    const fold = this.folds.get(kind);
    if (fold && now - fold.sentAt < FOLD_WINDOW_MS) {
      fold.count++;
      fold.last = message;
      this.stats.suppressed++;
      // One folded message when the window ends, however many came meanwhile.
      fold.timer ??= this.later(() => this.flushFold(kind), FOLD_WINDOW_MS - (now - fold.sentAt));
      return;
    }
    this.folds.set(kind, { sentAt: now, count: 0, last: message, timer: null });
    this.enqueue(kind, message, at, 0);
  }

  private flushFold(kind: AlertKind): void {
    const fold = this.folds.get(kind);
    if (!fold || fold.count === 0) return;
    const n = fold.count;
    this.folds.set(kind, { sentAt: this.options.clock.monotonic(), count: 0, last: fold.last, timer: null });
    this.enqueue(kind, `${n} more ${kind} alert(s) in the last minute; the latest: ${fold.last}`, undefined, n);
  }

  private enqueue(kind: AlertKind, message: string, at: number | undefined, suppressed: number): void {
    const time = new Date(at ?? this.options.clock.now()).toISOString();
    const line = `[tradeloop ${this.options.runId}] ${this.state} ${kind}: ${message}`;
    const payload: WebhookPayload = {
      kind,
      message,
      runId: this.options.runId,
      state: this.state,
      time,
      ...(suppressed > 0 ? { suppressed } : {}),
      text: line,
      content: line.slice(0, 2000),
    };
    for (const t of this.targets) {
      if (t.queue.length >= (this.options.queueMax ?? QUEUE_MAX)) {
        t.queue.shift();
        this.stats.dropped++;
      }
      t.queue.push(payload);
      if (!t.busy) void this.work(t);
    }
  }

  private later(fn: () => void, ms: number): TimerHandle {
    const handle = this.options.clock.setTimer(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(resolve, ms));
  }

  private async work(t: Target): Promise<void> {
    t.busy = true;
    for (let p = t.queue.shift(); p !== undefined; p = t.queue.shift()) {
      for (let attempt = 0; ; attempt++) {
        const outcome = await this.post(t.url, p);
        if (outcome === 'ok') {
          this.stats.delivered++;
          break;
        }
        if (outcome === 'final' || attempt >= RETRY_DELAYS_MS.length || this.closed) {
          this.stats.failed++;
          break;
        }
        this.stats.retried++;
        await this.sleep(RETRY_DELAYS_MS[attempt]!);
      }
    }
    t.busy = false;
    if (this.targets.every((x) => !x.busy)) this.idle?.();
  }

  /** 'ok', 'retry' (timeout, network, 429, 5xx) or 'final' (another 4xx: retrying cannot help). */
  private async post(url: string, payload: WebhookPayload): Promise<'ok' | 'retry' | 'final'> {
    const abort = new AbortController();
    const timer = this.later(() => abort.abort(), WEBHOOK_TIMEOUT_MS);
    try {
      const { target, authorization } = splitCredentials(url);
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(payload),
        signal: abort.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'ok';
      return res.status === 429 || res.status >= 500 ? 'retry' : 'final';
    } catch {
      return 'retry';
    } finally {
      this.options.clock.clearTimer(timer);
      this.timers.delete(timer);
    }
  }

  /**
   * At shutdown: folded alerts go out, and delivery gets up to `graceMs` to finish; whatever is
   * left is counted as dropped. Never waits longer than the grace.
   */
  async close(graceMs = 3000): Promise<void> {
    for (const kind of [...this.folds.keys()]) this.flushFold(kind);
    this.closed = true;
    if (graceMs > 0 && this.targets.some((t) => t.busy)) {
      // Real time, not the session's clock: this bounds how long the process takes to exit.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const t of this.targets) {
      this.stats.dropped += t.queue.length;
      t.queue.length = 0;
    }
    for (const h of this.timers) this.options.clock.clearTimer(h);
    this.timers.clear();
  }
}
