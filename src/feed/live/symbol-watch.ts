/**
 * Keeps a symbol from going silently dead for trading: each bad message is a counted skip, but a
 * symbol whose messages keep being skipped, or that keeps sending updates while no closed bar is
 * accepted for several intervals, has stopped trading without any halt. That raises an alert
 * (kind malformed) naming the symbol and the last reason, at most once per alertEveryMs each.
 *
 * Keyed only by subscribed symbols: a name from the network never adds an entry.
 */
import { nominalIntervalMs } from '../../domain/interval.ts';
import type { Clock } from '../../telemetry/clock.ts';

export interface SymbolWatchOptions {
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly clock: Clock;
  readonly alert: (message: string) => void;
  /** Skips in a row (no accepted closed bar between them) that make an alert. */
  readonly consecutiveSkips?: number;
  /** Intervals without an accepted closed bar while messages arrive (at least a minute). */
  readonly silentIntervals?: number;
  readonly alertEveryMs?: number;
}

interface Watched {
  skips: number;
  lastReason: string | null;
  /** Monotonic: the last accepted closed bar, or the first message seen. */
  since: number | null;
  lastAlert: number;
}

export class SymbolWatch {
  private readonly watched = new Map<string, Watched>();
  private readonly options: SymbolWatchOptions;
  private readonly consecutive: number;
  private readonly silentMs: number;
  private readonly everyMs: number;

  constructor(options: SymbolWatchOptions) {
    this.options = options;
    this.consecutive = options.consecutiveSkips ?? 5;
    this.silentMs = Math.max(60_000, (options.silentIntervals ?? 3) * nominalIntervalMs(options.interval));
    this.everyMs = options.alertEveryMs ?? 5 * 60_000;
    for (const s of options.symbols) this.watched.set(s, { skips: 0, lastReason: null, since: null, lastAlert: -Infinity });
  }

  /** Any kline message of the symbol, good or bad: it is alive on the wire. */
  seen(symbol: string): void {
    const w = this.watched.get(symbol);
    if (!w) return;
    const now = this.options.clock.monotonic();
    if (w.since === null) {
      w.since = now;
      return;
    }
    if (now - w.since >= this.silentMs) {
      const last = w.lastReason === null ? '' : `; the last skip: ${w.lastReason}`;
      this.raise(w, now, `${symbol}: messages keep arriving but no closed bar was accepted for ${Math.round((now - w.since) / 1000)} s${last}`);
    }
  }

  accepted(symbol: string): void {
    const w = this.watched.get(symbol);
    if (!w) return;
    w.skips = 0;
    w.since = this.options.clock.monotonic();
  }

  skipped(symbol: string, reason: string): void {
    const w = this.watched.get(symbol);
    if (!w) return;
    w.skips++;
    w.lastReason = reason;
    if (w.skips >= this.consecutive) {
      this.raise(w, this.options.clock.monotonic(), `${symbol}: ${w.skips} messages in a row skipped, no closed bar accepted; the last: ${reason}`);
    }
  }

  private raise(w: Watched, now: number, message: string): void {
    if (now - w.lastAlert < this.everyMs) return;
    w.lastAlert = now;
    this.options.alert(message);
  }
}
