/**
 * Binance's history side (live-feed.ts LiveHistory): the clock offset sampled from
 * GET /api/v3/time, the warm-up from REST klines, each refusal said in a sentence a user can act
 * on. An unknown symbol is refused by name (Binance answers -1121) instead of looking like a
 * stale feed forever.
 */
import { redactUrl } from '../../config/redact-url.ts';
import type { Clock } from '../../telemetry/clock.ts';
import type { ClockOffset } from '../../telemetry/latency.ts';
import type { LiveHistory, StartupResult, WarmupHistory } from '../live-feed.ts';
import { refreshClockOffset, syncClock } from './clock-sync.ts';
import type { RestClient } from './rest-client.ts';
import { loadWarmup } from './warmup.ts';

export interface BinanceHistoryOptions {
  readonly rest: RestClient;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly clock: Clock;
  readonly clockOffset: ClockOffset;
}

export class BinanceHistory implements LiveHistory {
  private readonly o: BinanceHistoryOptions;
  private readonly shownUrl: string;

  constructor(options: BinanceHistoryOptions) {
    this.o = options;
    this.shownUrl = redactUrl(options.rest.baseUrl);
  }

  async syncClock(): Promise<StartupResult<number>> {
    const time = await syncClock(this.o.rest, this.o.clock, this.o.clockOffset);
    if (time.ok) return time;
    const message = `cannot reach the REST API at ${this.shownUrl}: ${time.failure.message}. Check --rest-url / --network and the connection.`;
    return { ok: false, refusal: { kind: 'unreachable', message } };
  }

  async loadWarmup(warmup: number, closedBy: number): Promise<StartupResult<WarmupHistory>> {
    const r = await loadWarmup(this.o.rest, { symbols: this.o.symbols, interval: this.o.interval, warmup, closedBy });
    if (r.ok) return r;
    if (r.failure.kind === 'invalid_symbol') {
      const message = `--symbols: ${r.symbol} is not a symbol on ${this.shownUrl} (Binance says: ${r.failure.message}). Check the spelling, e.g. BTCUSDT.`;
      return { ok: false, refusal: { kind: 'invalid_symbol', message } };
    }
    return { ok: false, refusal: { kind: 'unavailable', message: `cannot load ${r.symbol} klines from ${this.shownUrl}: ${r.failure.message}` } };
  }

  refreshClockOffset(): () => void {
    return refreshClockOffset(this.o.rest, this.o.clock, this.o.clockOffset);
  }
}
