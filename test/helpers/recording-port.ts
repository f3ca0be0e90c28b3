/**
 * A live feed's port for tests: records every call, and lets a test wait for a condition that the
 * feed's calls make true (no polling, no sleeps). Bars are named by their minute after `base`.
 */
import type { FeedItem, FeedPort, FeedHaltReason } from '../../src/engine/feed-port.ts';
import type { AlertKind, FeedState } from '../../src/events/types.ts';

const MINUTE = 60_000;

/** A FeedPort that records every call and lets a test wait for a condition on them. */
export class RecordingPort implements FeedPort {
  private readonly base: number;
  readonly items: FeedItem[] = [];
  readonly states: FeedState[] = [];
  /** `+reason` raised, `-reason` lifted, in order. */
  readonly halts: string[] = [];
  readonly alerts: Array<{ readonly kind: AlertKind; readonly message: string }> = [];
  readonly quotes = new Map<string, { readonly price: number; readonly eventTime: number }>();
  /** While set, push answers false: the loop's queue is full. */
  full = false;
  private readonly waiters = new Set<() => void>();

  constructor(base: number) {
    this.base = base;
  }

  push(item: FeedItem): boolean {
    this.items.push(item);
    this.changed();
    return !this.full;
  }
  feedState(state: FeedState): void {
    this.states.push(state);
    this.changed();
  }
  raiseHalt(reason: FeedHaltReason): void {
    this.halts.push(`+${reason}`);
    this.changed();
  }
  liftHalt(reason: FeedHaltReason): void {
    // The feed lifts what no longer holds after every transition: only a lift of a raised halt is news.
    if (this.holds(reason)) this.halts.push(`-${reason}`);
    this.changed();
  }
  alert(kind: AlertKind, message: string): void {
    this.alerts.push({ kind, message });
    this.changed();
  }
  quote(symbol: string, price: number, eventTime: number): void {
    this.quotes.set(symbol, { price, eventTime });
  }

  holds(reason: FeedHaltReason): boolean {
    return this.halts.lastIndexOf(`+${reason}`) > this.halts.lastIndexOf(`-${reason}`);
  }

  get state(): FeedState | undefined {
    return this.states.at(-1);
  }

  /** Minutes of the bars delivered for a symbol, in delivery order. */
  minutes(symbol: string): number[] {
    return this.items.flatMap((i) => (i.kind === 'bar' && i.bar.symbol === symbol ? [(i.bar.openTime - this.base) / MINUTE] : []));
  }

  skips(): Array<{ symbol: string | null; minute: number | null; reason: string }> {
    return this.items.flatMap((i) =>
      i.kind === 'skip'
        ? [{ symbol: i.event.symbol, minute: i.event.openTime === null ? null : (i.event.openTime - this.base) / MINUTE, reason: i.event.reason }]
        : [],
    );
  }

  /** Resolves when `cond` holds, checked now and after every call on the port; fails after timeoutMs of real time. */
  when(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for: ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** `promise`, or a failure naming `what` after timeoutMs of real time: an upstream event that never comes fails the test. */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), timeoutMs)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
