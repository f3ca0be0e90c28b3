/**
 * A heartbeat line on stderr every --heartbeat seconds: the state, bars decided, orders and fills,
 * equity, the feed, how long ago the newest bar came, and latency p99. An operator glancing at the
 * terminal sees a session that is alive (or is not), without opening the dashboard.
 */
import type { Clock, TimerHandle } from '../telemetry/clock.ts';
import type { SessionStatus } from './status.ts';

export function heartbeatLine(s: SessionStatus, now: number): string {
  const c = s.counts;
  const ages = Object.values(s.lastBar)
    .map((b) => b?.receivedSecondsAgo)
    .filter((a): a is number => a !== undefined);
  const newest = ages.length > 0 ? `${Math.min(...ages)} s ago` : Object.values(s.lastBar).some((b) => b !== null) ? 'seen' : 'none yet';
  const feed = s.feed ? ` feed ${s.feed.state ?? 'starting'}` : '';
  const p99 = s.latencyP99Ms?.total !== undefined ? ` p99 ${s.latencyP99Ms.total.toFixed(1)} ms` : '';
  const halts = s.halts.length > 0 ? ` (${s.halts.map((h) => h.reason).join(', ')})` : '';
  return `tradeloop ${new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z')} HEARTBEAT ${s.state}${halts}  bars ${c.bars}  orders ${c.orders} fills ${c.fills} rejects ${c.rejects}  equity ${s.equity}${feed}  last bar ${newest}${p99}\n`;
}

export class Heartbeat {
  private timer: TimerHandle | null = null;
  private readonly clock: Clock;
  private readonly everyMs: number;
  private readonly status: () => SessionStatus;
  private readonly write: (line: string) => void;

  constructor(clock: Clock, everyMs: number, status: () => SessionStatus, write: (line: string) => void) {
    this.clock = clock;
    this.everyMs = everyMs;
    this.status = status;
    this.write = write;
  }

  start(): void {
    this.timer = this.clock.setTimer(() => {
      this.write(heartbeatLine(this.status(), this.clock.now()));
      this.start();
    }, this.everyMs);
  }

  stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = null;
  }
}
