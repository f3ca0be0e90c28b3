/**
 * What a session is built from: every option of `tradeloop run`, typed and checked. The command
 * line parses its flags into this and nothing more (cli/run-options.ts); backtest() and
 * startSession() go through the same parser, so every refusal names the flag it came from.
 */
import type { Instrument } from '../broker/instrument.ts';
import type { FeeSchedule } from '../broker/fees.ts';
import type { HaltSeverity } from '../events/reasons.ts';
import type { LoopConfig } from './loop-config.ts';

export type SourceKind = 'csv' | 'realtime';
/** Where a realtime session's bars come from: Binance's WebSocket (or any --ws-url), or the fleet's NATS stream (--source nats). */
export type LiveFeedKind = 'binance' | 'nats';
export type Network = 'production' | 'testnet';
export type DateFormat = 'dmy' | 'mdy' | 'ymd';
/** What events.ndjson holds: every event, or all but the per-bar `bar` lines and hold decisions. */
export type EventsMode = 'all' | 'trading';

/** A maintenance margin a broker would call at: equity under a quarter of what the positions are worth. */
export const DEFAULT_MARGIN_FLOOR_PCT_E4 = 250_000n;
export const DEFAULT_MAX_SKIP_RATIO = 0.01;

/** The rails around the loop: the state folder, the halt file, the control port, the optional risk limits, the alert webhooks. */
export interface SessionRails {
  /** The session's state folder; null: none (a realtime run then uses its out folder). */
  readonly stateDir: string | null;
  /**
   * --journal URL --session NAME: the journal in PostgreSQL, under the session's name (locked by it
   * for the session's life) instead of in the state folder; null: SQLite in the state folder, if any.
   */
  readonly journal: { readonly url: string; readonly session: string } | null;
  /** The halt file; null: DIR/HALT when there is a state folder, else none. */
  readonly haltFile: string | null;
  /** 0: an ephemeral port. */
  readonly controlPort: number;
  readonly maxOrdersPerMinute: number | null;
  readonly priceBandPctE4: bigint | null;
  readonly maxDailyLoss: bigint | null;
  readonly maxDrawdownPctE4: bigint | null;
  readonly onLossLimit: HaltSeverity;
  /** Equity below this share of the gross exposure (1e-4 percent) raises a `margin` halt (REDUCING); null: only equity ≤ 0 does. */
  readonly marginFloorPctE4: bigint | null;
  /** Intervals a bar may lag the newest closed bar the feed delivered before its orders are refused. */
  readonly maxBarAge: number;
  readonly alertWebhooks: readonly string[];
  /** A cycle running longer than this ends the process (the cycle watchdog); 0: no watchdog. */
  readonly cycleTimeoutMs: number;
  /** Realtime: the longest outage a backfill fetches, in bars; a longer one is a `gap` skip range. */
  readonly maxBackfillBars: number;
  /** The heartbeat line's period; null: the mode's default (realtime: 60 s when stderr is a terminal); 0: off. */
  readonly heartbeatMs: number | null;
  /** --nats URL: the fleet's nats-server (realtime); null: the session is on its own. */
  readonly nats: string | null;
  /** --fleet-name NAME: the fleet a --nats session joins (its key-value bucket and subjects). */
  readonly fleetName: string;
  /** --fleet-token FILE: the fleet token's file; null: the default in the user's config folder. */
  readonly fleetToken: string | null;
}

export interface SessionConfig extends SessionRails, LoopConfig {
  /** The arguments these options were parsed from (the journal keeps them for `tradeloop verify`). */
  readonly argv: readonly string[];
  readonly source: SourceKind;
  /** Realtime: the feed the bars come from (csv runs say binance, and have none). */
  readonly feed: LiveFeedKind;
  /** --stream: the JetStream stream a nats session reads (default TRADELOOP_BARS). */
  readonly stream: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly minutes: number | null;
  readonly dataDir: string;
  readonly files: ReadonlyMap<string, readonly string[]>;
  readonly from: number | null;
  /** --to: csv bars with openTime before this instant (exclusive); null: to the end of the data. */
  readonly to: number | null;
  readonly fromText: string | null;
  readonly tz: string | null;
  readonly barLabel: 'start' | 'end';
  readonly strategy: string;
  readonly params: Readonly<Record<string, string>>;
  readonly cash: bigint;
  readonly cashText: string;
  /** Maker and taker fee rates per symbol (1e-4 bps): the flags' or each instrument's default. */
  readonly fees: FeeSchedule;
  readonly slippageBpsE4: bigint;
  readonly slippageBps: number;
  readonly maxPositionNotional: bigint;
  readonly maxGrossExposure: bigint;
  readonly instruments: ReadonlyMap<string, Instrument>;
  readonly onBadRow: 'fail' | 'skip';
  /** A file whose skipped rows are more than this fraction of its rows stops the run (csv). */
  readonly maxSkipRatio: number;
  /** How to read day/month-first dates ("03/09/2026"); null: such dates are refused as ambiguous. */
  readonly dateFormat: DateFormat | null;
  readonly out: string | null;
  readonly quiet: boolean;
  readonly events: EventsMode;
  // Realtime only.
  readonly network: Network;
  readonly wsUrl: string;
  readonly restUrl: string;
  readonly staleAfterMs: number;
  readonly staleAlertAfterMs: number;
  readonly latencyAlertMs: number;
  readonly sliceGraceMs: number;
  readonly queueSize: number;
  readonly pingIntervalMs: number;
}
