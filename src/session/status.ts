/**
 * The session's status, one typed value for everything that shows it: `tradeloop status`, the
 * HTTP /status, the dashboard. Money and quantities are exact decimal strings.
 */
import type { FeedState, TradingStateName } from '../events/reasons.ts';
import type { RestingOrderView } from '../broker/book-view.ts';
import type { HaltStatus } from './commands.ts';
import type { FleetView } from '../fleet/fleet-status.ts';
import type { StreamStatus } from '../feed/live-feed.ts';

export interface ConnectionStatus {
  readonly id: number;
  readonly state: string;
  readonly stale: boolean;
  /** Seconds since the connection's last message; null before it opened. */
  readonly lastMessageAgoSeconds: number | null;
}

export interface FeedStatus {
  readonly state: FeedState | null;
  readonly connections: readonly ConnectionStatus[];
  /** A session on the fleet's stream (--source nats): its read position, lag and publishers' heartbeat. */
  readonly stream?: StreamStatus;
}

export interface SessionStatus {
  readonly runId: string;
  readonly mode: 'static' | 'realtime';
  readonly pid: number;
  readonly startedAt: string;
  readonly state: TradingStateName;
  readonly halts: readonly HaltStatus[];
  readonly cash: string;
  readonly equity: string;
  readonly startEquity: string;
  readonly grossExposure: string;
  /** entryPrice: the average price of the open quantity. */
  readonly positions: ReadonlyArray<{ symbol: string; qty: string; entryPrice: string; lastPrice: string; marketValue: string; unrealizedPnl: string }>;
  readonly restingOrders: readonly RestingOrderView[];
  readonly counts: Readonly<Record<string, number>>;
  /** Each symbol's newest decided bar (and, in realtime, how long ago it was received); null before any. */
  readonly lastBar: Record<string, { openTime: string; receivedSecondsAgo?: number } | null>;
  readonly feed: FeedStatus | null;
  readonly latencyP99Ms: Record<string, number> | null;
  readonly haltFile: string | null;
  readonly stateDir: string | null;
  /** A session of a fleet (--nats): the fleet's halt state as it applied it, its link, and the messages it refused. */
  readonly fleet?: FleetView;
}
